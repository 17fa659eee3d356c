"""Four eyes on adapters (issue 22: "adapters and intents go through the same workflow"): with
the tenant's ``four_eyes_promotions`` on, an admin's ``promote`` files a request; another admin
approves it (never the requester, never an analyst), the adapter's own gate still holds, and
every step is audited (``apps.registry.promotions``)."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from apps.accounts.roles import Role
from apps.accounts.services import api_key_create
from apps.adaptation.models import AdapterVersion
from apps.approvals.models import ApprovalRequest, ApprovalState
from apps.audit.models import AuditEvent
from apps.registry.models import ModelState

from .factories import WORSE, adapter_version

pytestmark = pytest.mark.django_db

ADAPTERS = "/api/v1/adaptation/adapters/"


@pytest.fixture
def admins(four_eyes, make_member):
    return make_member(four_eyes, Role.ADMIN), make_member(four_eyes, Role.ADMIN)


def _ask(client, adapter) -> str:
    asked = client.post(f"{ADAPTERS}{adapter.pk}/promote/", {"reason": "better"}, format="json")
    assert asked.status_code == 202, asked.content
    assert asked.json()["promotion_request"]["kind"] == "adaptation.adapter.promote"
    return asked.json()["promotion_request"]["id"]


def test_an_admin_asks_and_another_admin_approves(signed_in, four_eyes, admins, make_member):
    alice, bob = admins
    adapter = adapter_version(four_eyes)
    request_id = _ask(signed_in(alice, four_eyes), adapter)
    adapter.refresh_from_db()
    assert adapter.state == ModelState.DRAFT  # asking serves nothing

    decide = f"{ADAPTERS}{adapter.pk}/approve-promotion/"
    own = signed_in(alice, four_eyes).post(decide, {"request": request_id}, format="json")
    assert own.status_code == 403 and "requester cannot approve" in own.json()["detail"]
    analyst = make_member(four_eyes, Role.ANALYST)
    assert (
        signed_in(analyst, four_eyes)
        .post(decide, {"request": request_id}, format="json")
        .status_code
        == 403
    )
    approved = signed_in(bob, four_eyes).post(decide, {"request": request_id}, format="json")
    assert approved.status_code == 200, approved.content
    assert approved.json()["state"] == "promoted"
    assert approved.json()["promotion_request"]["state"] == ApprovalState.EXECUTED
    promote = AuditEvent.objects.get(tenant=four_eyes, action="adaptation.adapter.promote")
    assert promote.outcome == "success"
    actions = set(AuditEvent.objects.filter(tenant=four_eyes).values_list("action", flat=True))
    assert {"approvals.request.create", "approvals.request.approve"} <= actions


def test_approval_does_not_lift_the_adapters_own_gate(signed_in, four_eyes, admins):
    alice, bob = admins
    worse = adapter_version(four_eyes, evaluation=WORSE)
    request_id = _ask(signed_in(alice, four_eyes), worse)
    refused = signed_in(bob, four_eyes).post(
        f"{ADAPTERS}{worse.pk}/approve-promotion/", {"request": request_id}, format="json"
    )
    assert refused.status_code == 400
    assert "did not improve" in str(refused.json())
    worse.refresh_from_db()
    assert worse.state == ModelState.DRAFT
    # The refused approval rolled back with the promotion: the request still waits, and the
    # approval's error event keeps the gate's reasons (the promotion's own event rolled back).
    assert ApprovalRequest.objects.get(pk=request_id).state == ApprovalState.REQUESTED
    event = AuditEvent.objects.get(tenant=four_eyes, action="approvals.request.approve")
    assert event.outcome == "error"
    assert "did not improve" in " ".join(event.details["refusal"])


def test_a_stale_request_and_an_api_key_cannot_decide(signed_in, four_eyes, admins):
    alice, bob = admins
    adapter = adapter_version(four_eyes)
    request_id = _ask(signed_in(alice, four_eyes), adapter)
    decide = f"{ADAPTERS}{adapter.pk}/approve-promotion/"
    # A key Bob made is a bearer credential, not Bob: it cannot be the second person.
    bobs_key = api_key_create(tenant=four_eyes, name="ci", role=Role.ADMIN, created_by=bob)
    keyed = APIClient()
    keyed.credentials(HTTP_AUTHORIZATION=f"Api-Key {bobs_key.token}")
    assert keyed.post(decide, {"request": request_id}, format="json").status_code == 403
    # The version moved since the request (served and retired): approving it now is refused.
    AdapterVersion.objects.filter(pk=adapter.pk).update(state=ModelState.RETIRED)
    stale = signed_in(bob, four_eyes).post(decide, {"request": request_id}, format="json")
    assert stale.status_code == 400 and "ask again" in str(stale.json())
    assert AdapterVersion.objects.get(pk=adapter.pk).state == ModelState.RETIRED


def test_a_request_of_another_adapter_or_tenant_is_not_found(
    signed_in, four_eyes, admins, other_tenant, make_member
):
    alice, bob = admins
    first, second = adapter_version(four_eyes), adapter_version(four_eyes, name="other")
    request_id = _ask(signed_in(alice, four_eyes), first)
    wrong = signed_in(bob, four_eyes).post(
        f"{ADAPTERS}{second.pk}/approve-promotion/", {"request": request_id}, format="json"
    )
    assert wrong.status_code == 400 and "request" in wrong.json()["errors"]
    outsider = make_member(other_tenant, Role.ADMIN)
    elsewhere = signed_in(outsider, other_tenant).post(
        f"{ADAPTERS}{first.pk}/approve-promotion/", {"request": request_id}, format="json"
    )
    assert elsewhere.status_code == 404
    assert AdapterVersion.objects.get(pk=first.pk).state == ModelState.DRAFT


def test_without_four_eyes_an_admin_promotes_in_one_step(signed_in, tenant, make_member):
    adapter = adapter_version(tenant)
    promoted = signed_in(make_member(tenant, Role.ADMIN), tenant).post(
        f"{ADAPTERS}{adapter.pk}/promote/"
    )
    assert promoted.status_code == 200, promoted.content
    assert promoted.json()["state"] == "promoted"
    assert not ApprovalRequest.objects.filter(tenant=tenant).exists()
