from rest_framework.routers import SimpleRouter

from .conversations import ConversationViewSet, HandoffViewSet
from .feedback import RatingsReportViewSet, RatingViewSet, ReviewItemViewSet
from .shop_views import (
    AssistantSettingsViewSet,
    ConnectorViewSet,
    DemoOrderViewSet,
    DocumentViewSet,
)
from .views import IntentModelViewSet, IntentViewSet, TrainingExampleViewSet

app_name = "customer_service"

router = SimpleRouter()
router.register("conversations", ConversationViewSet, basename="conversation")
router.register("handoffs", HandoffViewSet, basename="handoff")
router.register("ratings", RatingViewSet, basename="rating")
router.register("reviews", ReviewItemViewSet, basename="review")
router.register("intents", IntentViewSet, basename="intent")
router.register("examples", TrainingExampleViewSet, basename="example")
router.register("models", IntentModelViewSet, basename="model")
router.register("reports", RatingsReportViewSet, basename="report")
router.register("orders", DemoOrderViewSet, basename="order")
router.register("assistant-settings", AssistantSettingsViewSet, basename="assistant-settings")
router.register("documents", DocumentViewSet, basename="document")
router.register("connectors", ConnectorViewSet, basename="connector")
urlpatterns = router.urls
