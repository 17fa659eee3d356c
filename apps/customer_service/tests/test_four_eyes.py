"""Four eyes on intent models (issue 22: "adapters and intents go through the same workflow"):
a tenant with ``four_eyes_promotions`` keeps each trained version a draft; one admin asks for
its promotion, a second admin approves it (never the requester), and every step is audited.
The workflow is the registry's (``apps.registry.promotions``), the one adapters use too."""

from __future__ import annotations

import pytest

from apps.accounts.roles import Role
from apps.approvals.models import ApprovalRequest, ApprovalState
from apps.audit.models import AuditEvent
from apps.core.context import Actor, actor_scope
from apps.customer_service import services
from apps.customer_service.models import IntentModel
from apps.customer_service.services.understanding import NoIntentModel, active_model
from apps.registry.models import ModelState
from apps.registry.services import PromotionRefused

from .test_registry_mapping import _scenario_examples, fixed  # noqa: F401 - the fixture

pytestmark = pytest.mark.django_db

BASE = "/api/v1/customer-service/models"


@pytest.mark.usefixtures("fixed")
def test_training_keeps_a_draft_and_a_second_admin_promotes_it(signed_in, four_eyes, make_member):
    tenant = four_eyes
    _scenario_examples(tenant)
    model = services.intent_model_train(tenant=tenant)
    assert model.state == ModelState.DRAFT
    with pytest.raises(NoIntentModel):  # nothing answers until a second person approves
        active_model(tenant)

    alice, bob = make_member(tenant, Role.ADMIN), make_member(tenant, Role.ADMIN)
    asked = signed_in(alice, tenant).post(
        f"{BASE}/{model.pk}/promote/", {"reason": "new examples"}, format="json"
    )
    assert asked.status_code == 202, asked.content
    request_id = asked.json()["promotion_request"]["id"]
    assert asked.json()["promotion_request"]["kind"] == "customer_service.intent_model.promote"
    assert not IntentModel.objects.filter(tenant=tenant, state=ModelState.CHAMPION).exists()

    own = signed_in(alice, tenant).post(
        f"{BASE}/{model.pk}/approve-promotion/", {"request": request_id}, format="json"
    )
    assert own.status_code == 403 and "requester cannot approve" in own.json()["detail"]
    approved = signed_in(bob, tenant).post(
        f"{BASE}/{model.pk}/approve-promotion/", {"request": request_id}, format="json"
    )
    assert approved.status_code == 200, approved.content
    assert approved.json()["active"] is True
    assert approved.json()["promotion_request"]["state"] == ApprovalState.EXECUTED
    assert active_model(tenant).pk == model.pk
    actions = set(AuditEvent.objects.filter(tenant=tenant).values_list("action", flat=True))
    assert {
        "approvals.request.create",
        "approvals.request.approve",
        "approvals.request.execute",
        "customer_service.intent_model.promote",
    } <= actions


def test_a_member_cannot_promote_without_an_approval(four_eyes):
    model = IntentModel.objects.create(tenant=four_eyes, version=1, report={"accuracy": 1.0})
    with (
        actor_scope(Actor("user", id=1, tenant_id=four_eyes.pk, role=Role.ADMIN)),
        pytest.raises(PromotionRefused) as refused,
    ):
        services.intent_model_promote(tenant=four_eyes, model=model)
    assert "promotion needs four eyes" in str(refused.value)
    model.refresh_from_db()
    assert model.state == ModelState.DRAFT


def test_a_rejection_promotes_nothing_and_agents_cannot_ask(signed_in, four_eyes, make_member):
    tenant = four_eyes
    model = IntentModel.objects.create(tenant=tenant, version=1, report={"accuracy": 1.0})
    alice, bob = make_member(tenant, Role.ADMIN), make_member(tenant, Role.ADMIN)
    agent = make_member(tenant, Role.AGENT)
    refused = signed_in(agent, tenant).post(f"{BASE}/{model.pk}/promote/", {}, format="json")
    assert refused.status_code == 403
    request_id = (
        signed_in(alice, tenant)
        .post(f"{BASE}/{model.pk}/promote/")
        .json()["promotion_request"]["id"]
    )
    rejected = signed_in(bob, tenant).post(
        f"{BASE}/{model.pk}/reject-promotion/", {"request": request_id}, format="json"
    )
    assert rejected.status_code == 200, rejected.content
    assert rejected.json()["active"] is False
    assert ApprovalRequest.objects.get(pk=request_id).state == ApprovalState.REJECTED
    again = signed_in(bob, tenant).post(
        f"{BASE}/{model.pk}/approve-promotion/", {"request": request_id}, format="json"
    )
    assert again.status_code == 400 and "already rejected" in str(again.json())


@pytest.mark.usefixtures("fixed")
def test_without_four_eyes_training_answers_at_once_and_promote_is_one_step(
    signed_in,
    tenant,
    make_member,
):
    _scenario_examples(tenant)
    first = services.intent_model_train(tenant=tenant)
    assert first.state == ModelState.CHAMPION
    draft = IntentModel.objects.create(tenant=tenant, version=2, report={"accuracy": 1.0})
    promoted = signed_in(make_member(tenant, Role.ADMIN), tenant).post(
        f"{BASE}/{draft.pk}/promote/", {}, format="json"
    )
    assert promoted.status_code == 200, promoted.content
    assert promoted.json()["active"] is True
    first.refresh_from_db()
    assert first.state == ModelState.RETIRED
    assert not ApprovalRequest.objects.filter(tenant=tenant).exists()
