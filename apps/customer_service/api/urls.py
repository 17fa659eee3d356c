from rest_framework.routers import SimpleRouter

from .views import (
    ConversationViewSet,
    DemoOrderViewSet,
    HandoffViewSet,
    IntentModelViewSet,
    IntentViewSet,
    RatingsReportViewSet,
    RatingViewSet,
    ReviewItemViewSet,
    TrainingExampleViewSet,
)

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
urlpatterns = router.urls
