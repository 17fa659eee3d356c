"""Promotion gates for transaction-fraud models: the behavioural model against its own baseline,
and against the champion on the candidate's measured weeks (``services/fraud_gates.py``)."""

from __future__ import annotations

import pytest

from apps.financial_risk.models import ModelState, RiskModel
from apps.financial_risk.services import risk_model_promote
from apps.financial_risk.services.fraud_models import fraud_model_train
from apps.financial_risk.services.fraud_state import tenant_state_clear
from apps.financial_risk.services.gates import gate_results
from apps.financial_risk.services.governance_settings import (
    governance_settings,
    governance_settings_update,
)
from apps.registry.services import PromotionRefused

from .factories import fraud_champion

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.django_db]


@pytest.fixture
def champion(tenant):
    model = fraud_champion(tenant)
    yield model
    tenant_state_clear(tenant=tenant)


def test_the_champion_was_gated_on_its_baseline(champion):
    results = champion.card["gates"]["results"]
    assert set(results) == {"baseline", "pr_auc"}
    baseline = results["baseline"]
    own = champion.card["metrics"]["model"]["pr_auc"]
    assert baseline == {
        "status": "passed",
        "value": own,
        "threshold": champion.card["metrics"]["baseline"]["pr_auc"],
        "detail": baseline["detail"],
    }
    assert results["pr_auc"]["detail"] == "no champion to compare with"


def test_a_challenger_is_scored_beside_the_champion_on_its_measured_weeks(tenant, champion):
    challenger = fraud_model_train(tenant=tenant, name="fraud")
    result = gate_results(tenant=tenant, model=challenger)["pr_auc"]
    # Trained on the same history, the two boosters agree: the same PR-AUC on the same weeks,
    # which is the challenger's own measured figure.
    assert result["status"] == "passed", result
    assert result["value"] == challenger.card["metrics"]["model"]["pr_auc"]
    margin = governance_settings(tenant)["auc_margin"]
    assert result["threshold"] == round(result["value"] - margin, 4)
    assert f"the champion {champion.label}'s {result['value']}" in result["detail"]
    assert "measured weeks" in result["detail"]

    governance_settings_update(tenant=tenant, values={"auc_margin": -0.05})
    stricter = gate_results(tenant=tenant, model=challenger)["pr_auc"]
    assert stricter["status"] == "failed"
    assert stricter["threshold"] == round(result["value"] + 0.05, 4)
    with pytest.raises(PromotionRefused) as refused:
        risk_model_promote(tenant=tenant, model=challenger, state=ModelState.CHAMPION)
    assert "gate pr_auc failed" in str(refused.value)
    assert RiskModel.objects.get(pk=champion.pk).state == ModelState.CHAMPION


def test_a_model_no_better_than_its_baseline_is_refused(tenant, champion):
    challenger = fraud_model_train(tenant=tenant, name="fraud")
    challenger.card["metrics"]["baseline"]["pr_auc"] = 1.0  # the payment's own fields win
    challenger.save(update_fields=["card"])
    result = gate_results(tenant=tenant, model=challenger)["baseline"]
    assert result["status"] == "failed" and result["threshold"] == 1.0
    with pytest.raises(PromotionRefused) as refused:
        risk_model_promote(tenant=tenant, model=challenger, state=ModelState.CHALLENGER)
    assert "gate baseline failed" in str(refused.value)


def test_payments_scored_after_training_do_not_count_as_honest(tenant, champion, make_api_client):
    """Transactions scored since the candidate trained carry no label yet: the comparison ends
    where the candidate's training data ended."""
    from apps.accounts.roles import Role

    from .test_fraud_api import SCORE, payment

    challenger = fraud_model_train(tenant=tenant, name="fraud")
    before = gate_results(tenant=tenant, model=challenger)["pr_auc"]
    client = make_api_client(tenant, Role.ANALYST)
    for minute in range(3):
        later = payment(reference=f"late-{minute}", occurred_at=f"2026-01-28T03:1{minute}:00Z")
        assert client.post(SCORE, later, format="json").status_code == 201
    assert gate_results(tenant=tenant, model=challenger)["pr_auc"] == before
