"""Risk models on the shared model registry: versions of the registry's abstract model, with
its constraints; a gate plugged into the promotion hook (what the risk-governance work will
register) refuses a promotion over the API with its reason, audited; ``promoted_at`` keeps
meaning "the last move", retirement included."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction

from apps.audit.models import AuditEvent
from apps.financial_risk.models import ModelState, RiskModel
from apps.financial_risk.services import risk_model_promote
from apps.financial_risk.services.governance_settings import governance_settings_update
from apps.registry.gates import promotion_gate_register, promotion_gate_unregister
from apps.registry.models import VersionedModel

from .factories import tiny_model

pytestmark = pytest.mark.django_db


def champion_must_beat(request):
    """A governance-style gate: refuse unless the context says the AUC gate passed."""
    if request.context.get("auc_gate") == "passed":
        return []
    return [f"{request.version.label}: the challenger's AUC was not compared with the champion's"]


@pytest.fixture
def auc_gate():
    promotion_gate_register("financial_risk.riskmodel", champion_must_beat)
    yield champion_must_beat
    promotion_gate_unregister("financial_risk.riskmodel", champion_must_beat)


def test_a_risk_model_is_a_registry_version_with_its_constraints(tenant, dataset):
    assert issubclass(RiskModel, VersionedModel)
    assert RiskModel._meta.db_table == "financial_risk_riskmodel"
    champion = tiny_model(tenant, dataset=dataset, state=ModelState.CHAMPION)
    draft = tiny_model(tenant, dataset=dataset)
    with pytest.raises(IntegrityError), transaction.atomic():
        RiskModel.objects.filter(pk=draft.pk).update(state=ModelState.CHAMPION)
    assert RiskModel.objects.get(pk=champion.pk).state == ModelState.CHAMPION


def test_a_gate_on_the_hook_refuses_the_promotion_over_the_api(tenant, dataset, analyst, auc_gate):
    model = tiny_model(tenant, dataset=dataset)
    # One-step promotion (four eyes off), so that this gate's refusal is the only one.
    governance_settings_update(tenant=tenant, values={"four_eyes": False})
    response = analyst.post(
        f"/api/v1/risk/models/{model.pk}/promote/", {"state": "champion"}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["errors"]["state"] == [
        f"{model.label}: the challenger's AUC was not compared with the champion's"
    ]
    model.refresh_from_db()
    assert model.state == ModelState.DRAFT
    event = AuditEvent.objects.get(tenant=tenant, action="financial_risk.model.promote")
    assert event.outcome == "error" and event.details["exception"] == "PromotionRefused"
    retired = analyst.post(
        f"/api/v1/risk/models/{model.pk}/promote/", {"state": "retired"}, format="json"
    )
    assert retired.status_code == 200  # retiring passes no gate


def test_promoted_at_is_the_time_of_the_last_move(tenant, dataset):
    model = tiny_model(tenant, dataset=dataset, state=ModelState.CHAMPION)
    retired = risk_model_promote(tenant=tenant, model=model, state=ModelState.RETIRED)
    assert retired.promoted_at > model.promoted_at
