"""Requesting and deciding approvals. Every step is audited (``apps.audit``).

Errors are ``ApprovalRefused`` (a PermissionDenied: the API answers 403 naming why) when the
decider is the requester or lacks an approver role, and ``ApprovalStateError`` (a DRF
ValidationError on ``state``: 400) when the request was already decided.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from rest_framework.exceptions import PermissionDenied, ValidationError

from apps.accounts.models import Membership
from apps.audit.services import audited

from .models import ApprovalRequest, ApprovalState
from .registry import approval_kind


class ApprovalRefused(PermissionDenied):
    """The user may not decide this request."""


class ApprovalStateError(ValidationError):
    """The request is not in a state that allows this step."""

    def __init__(self, message: str):
        super().__init__({"state": [message]})


def _role_of(*, tenant, user) -> str | None:
    membership = Membership.objects.filter(tenant=tenant, user=user).only("role").first()
    return membership.role if membership else None


def approval_request_create(
    *, tenant, kind: str, target: str, payload: dict, requested_by, reason: str
) -> ApprovalRequest:
    """Ask for ``kind`` on ``target``; someone else with an approver role must decide."""
    approval_kind(kind)  # KeyError: an unregistered kind is a programming error
    with audited(
        tenant=tenant,
        action="approvals.request.create",
        resource_type="approvals.request",
        details={"kind": kind},
    ) as event:
        request = ApprovalRequest.objects.create(
            tenant=tenant,
            kind=kind,
            target=target,
            payload=payload,
            requested_by=requested_by,
            reason=reason,
        )
        event.resource_id = request.pk
    return request


def _decide(*, request: ApprovalRequest, user, justification: str, approve: bool):
    kind = approval_kind(request.kind)
    verb = "approve" if approve else "reject"
    with audited(
        tenant=request.tenant,
        action=f"approvals.request.{verb}",
        resource_type="approvals.request",
        resource_id=request.pk,
        details={"kind": request.kind},
    ):
        locked = ApprovalRequest.objects.select_for_update().get(pk=request.pk)
        if locked.requested_by_id == user.pk:
            raise ApprovalRefused(
                f"the requester cannot {verb} their own request: a second person must decide"
            )
        role = _role_of(tenant=locked.tenant, user=user)
        if role not in kind.approver_roles:
            raise ApprovalRefused(
                f"role {role or 'none'!s} may not {verb} {locked.kind} requests "
                f"(allowed: {', '.join(sorted(kind.approver_roles))})"
            )
        if locked.state != ApprovalState.REQUESTED:
            raise ApprovalStateError(f"the request is already {locked.state}")
        locked.state = ApprovalState.APPROVED if approve else ApprovalState.REJECTED
        locked.decided_by = user
        locked.justification = justification
        locked.decided_at = timezone.now()
        locked.save(update_fields=["state", "decided_by", "justification", "decided_at"])
        handler = kind.on_approve if approve else kind.on_reject
        if handler is not None:
            handler(locked)
    request.refresh_from_db()
    return request


def approval_approve(*, request: ApprovalRequest, user, justification: str = ""):
    """Approve ``request`` as ``user`` (not the requester, an approver role of its kind) and
    run the kind's handler in the same transaction."""
    return _decide(request=request, user=user, justification=justification, approve=True)


def approval_reject(*, request: ApprovalRequest, user, justification: str = ""):
    """Reject ``request`` as ``user`` (same rules as approving)."""
    return _decide(request=request, user=user, justification=justification, approve=False)


def approval_mark_executed(*, request: ApprovalRequest, result: dict) -> ApprovalRequest:
    """Record that the approved action ran to the end (its handler's job calls this)."""
    with (
        transaction.atomic(),
        audited(
            tenant=request.tenant,
            action="approvals.request.execute",
            resource_type="approvals.request",
            resource_id=request.pk,
            details={"kind": request.kind},
        ),
    ):
        locked = ApprovalRequest.objects.select_for_update().get(pk=request.pk)
        if locked.state != ApprovalState.APPROVED:
            raise ApprovalStateError(f"only an approved request can run; it is {locked.state}")
        locked.state = ApprovalState.EXECUTED
        locked.executed_at = timezone.now()
        locked.result = result
        locked.save(update_fields=["state", "executed_at", "result"])
    request.refresh_from_db()
    return request
