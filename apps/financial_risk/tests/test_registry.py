"""Registry: promotion rules (which transitions, who may promote), the audit of each
promotion, one champion and one challenger per model name."""

from __future__ import annotations

import pytest

from apps.accounts.roles import Role
from apps.audit.models import AuditEvent
from apps.financial_risk.models import ModelState
from apps.financial_risk.services import PromotionError, risk_model_promote
from apps.financial_risk.services.governance_settings import governance_settings_update

from .factories import tiny_model

pytestmark = pytest.mark.django_db


def test_promotion_path_and_displacement(tenant, dataset):
    first = tiny_model(tenant, dataset=dataset)
    second = tiny_model(tenant, dataset=dataset)
    first = risk_model_promote(tenant=tenant, model=first, state=ModelState.CHAMPION)
    second = risk_model_promote(tenant=tenant, model=second, state=ModelState.CHALLENGER)
    assert (first.state, second.state) == ("champion", "challenger")
    second = risk_model_promote(tenant=tenant, model=second, state=ModelState.CHAMPION)
    first.refresh_from_db()
    assert (first.state, second.state) == ("retired", "champion")
    events = AuditEvent.objects.filter(
        tenant=tenant, action="financial_risk.model.promote"
    ).order_by("seq")
    assert [(e.details["from"], e.details["to"]) for e in events] == [
        ("draft", "champion"),
        ("draft", "challenger"),
        ("challenger", "champion"),
    ]
    assert events.last().details["displaced"] == str(first.pk)
    assert events.last().model_revision == f"v{second.version}"


@pytest.mark.parametrize(
    "start,target",
    [("retired", "champion"), ("champion", "challenger"), ("retired", "challenger")],
)
def test_forbidden_transitions(tenant, dataset, start, target):
    model = tiny_model(tenant, dataset=dataset)
    if start == "retired":
        model = risk_model_promote(tenant=tenant, model=model, state=ModelState.RETIRED)
    else:
        model = risk_model_promote(tenant=tenant, model=model, state=start)
    with pytest.raises(PromotionError):
        risk_model_promote(tenant=tenant, model=model, state=target)


@pytest.mark.parametrize("role", [Role.ADMIN, Role.ANALYST])
def test_admins_and_analysts_promote_over_the_api(role, tenant, dataset, make_api_client):
    """With four eyes off (see test_governance.py for the request and approval), a member's
    promotion is one step through the gates."""
    model = tiny_model(tenant, dataset=dataset)
    governance_settings_update(tenant=tenant, values={"four_eyes": False})
    client = make_api_client(tenant, role)
    response = client.post(
        f"/api/v1/risk/models/{model.pk}/promote/", {"state": "champion"}, format="json"
    )
    assert response.status_code == 200, response.content
    assert response.json()["state"] == "champion"
    event = AuditEvent.objects.get(tenant=tenant, action="financial_risk.model.promote")
    assert event.actor_role == role


@pytest.mark.parametrize("role", [Role.AUDITOR, Role.AGENT, Role.CLINICIAN])
def test_other_roles_cannot_promote(role, tenant, dataset, make_api_client):
    model = tiny_model(tenant, dataset=dataset)
    client = make_api_client(tenant, role)
    response = client.post(
        f"/api/v1/risk/models/{model.pk}/promote/", {"state": "champion"}, format="json"
    )
    assert response.status_code == 403
    model.refresh_from_db()
    assert model.state == "draft"
    assert not AuditEvent.objects.filter(action="financial_risk.model.promote").exists()


def test_invalid_promotion_is_a_400_naming_state(tenant, dataset, analyst):
    model = tiny_model(tenant, dataset=dataset, state=ModelState.RETIRED)
    response = analyst.post(
        f"/api/v1/risk/models/{model.pk}/promote/", {"state": "champion"}, format="json"
    )
    assert response.status_code == 400 and "state" in response.json()["errors"]
    response = analyst.post(
        f"/api/v1/risk/models/{model.pk}/promote/", {"state": "boss"}, format="json"
    )
    assert response.status_code == 400 and "state" in response.json()["errors"]
