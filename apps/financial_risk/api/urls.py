from django.urls import path
from rest_framework.routers import SimpleRouter

from .governance_settings import GovernanceSettingsViewSet
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
router.register("governance-settings", GovernanceSettingsViewSet, basename="governance-settings")

# Transaction fraud (issue 24): the scoring route is the exact path, before the router's
# ``transactions/<pk>/``.
from .fraud_views import (  # noqa: E402
    FraudDecisionViewSet,
    FraudModelTrainView,
    TransactionImportViewSet,
    TransactionScoreView,
    TransactionViewSet,
)

router.register("transactions", TransactionViewSet, basename="transaction")
router.register("fraud-decisions", FraudDecisionViewSet, basename="fraud-decision")
router.register("transaction-imports", TransactionImportViewSet, basename="transaction-import")
urlpatterns = [
    path("transactions/score", TransactionScoreView.as_view(), name="transaction-score"),
    path("fraud-models/", FraudModelTrainView.as_view(), name="fraud-model-train"),
    *router.urls,
]
