"""The approval primitive: a second person with an approver role decides; every step audited."""

from __future__ import annotations

import pytest
from rest_framework.exceptions import PermissionDenied, ValidationError

from apps.accounts.roles import Role
from apps.approvals.models import ApprovalState
from apps.approvals.registry import approval_kind_register
from apps.approvals.services import (
    approval_approve,
    approval_mark_executed,
    approval_reject,
    approval_request_create,
)
from apps.audit.models import AuditEvent

pytestmark = pytest.mark.django_db

handled = []


@pytest.fixture(autouse=True)
def _kind():
    handled.clear()
    approval_kind_register("test.promote", approver_roles={Role.ADMIN}, on_approve=handled.append)


def _request(tenant, user):
    return approval_request_create(
        tenant=tenant,
        kind="test.promote",
        target="model:42",
        payload={"to": "champion"},
        requested_by=user,
        reason="better AUC",
    )


def test_requester_cannot_decide_own_request(tenant, make_member):
    admin = make_member(tenant, Role.ADMIN)
    request = _request(tenant, admin)
    with pytest.raises(PermissionDenied, match="requester cannot approve"):
        approval_approve(request=request, user=admin)
    with pytest.raises(PermissionDenied, match="requester cannot reject"):
        approval_reject(request=request, user=admin)
    request.refresh_from_db()
    assert request.state == ApprovalState.REQUESTED and handled == []


def test_decider_needs_an_approver_role_in_the_tenant(tenant, other_tenant, make_member):
    request = _request(tenant, make_member(tenant, Role.ADMIN))
    with pytest.raises(PermissionDenied, match="role analyst may not approve"):
        approval_approve(request=request, user=make_member(tenant, Role.ANALYST))
    with pytest.raises(PermissionDenied, match="role none"):
        approval_approve(request=request, user=make_member(other_tenant, Role.ADMIN))
    assert handled == []


def test_second_admin_approves_runs_handler_and_everything_is_audited(tenant, make_member):
    requester, approver = make_member(tenant, Role.ADMIN), make_member(tenant, Role.ADMIN)
    request = _request(tenant, requester)
    request = approval_approve(request=request, user=approver, justification="checked")
    assert request.state == ApprovalState.APPROVED and request.decided_by == approver
    assert [r.pk for r in handled] == [request.pk]
    with pytest.raises(ValidationError, match="already approved"):
        approval_reject(request=request, user=approver)
    request = approval_mark_executed(request=request, result={"ok": True})
    assert request.state == ApprovalState.EXECUTED
    actions = list(
        AuditEvent.objects.filter(tenant=tenant, resource_id=str(request.pk))
        .order_by("seq")
        .values_list("action", "outcome")
    )
    assert actions == [
        ("approvals.request.create", "success"),
        ("approvals.request.approve", "success"),
        ("approvals.request.reject", "error"),
        ("approvals.request.execute", "success"),
    ]


def test_reject(tenant, make_member):
    request = _request(tenant, make_member(tenant, Role.ADMIN))
    request = approval_reject(request=request, user=make_member(tenant, Role.ADMIN))
    assert request.state == ApprovalState.REJECTED and handled == []
    with pytest.raises(ValidationError, match="only an approved request"):
        approval_mark_executed(request=request, result={})
