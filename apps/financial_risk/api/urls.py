from rest_framework.routers import SimpleRouter

from .views import (
    BatchScoringViewSet,
    DatasetViewSet,
    DecisionViewSet,
    FraudRingViewSet,
    MonitoringFindingViewSet,
    RiskAccountViewSet,
    RiskModelViewSet,
)

app_name = "financial_risk"

router = SimpleRouter()
router.register("datasets", DatasetViewSet, basename="dataset")
router.register("models", RiskModelViewSet, basename="model")
router.register("decisions", DecisionViewSet, basename="decision")
router.register("batch-scorings", BatchScoringViewSet, basename="batch-scoring")
router.register("findings", MonitoringFindingViewSet, basename="finding")
router.register("rings", FraudRingViewSet, basename="ring")
router.register("accounts", RiskAccountViewSet, basename="account")
urlpatterns = router.urls
