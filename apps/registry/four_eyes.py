"""Four eyes on promotion, for any kind of the registry: a version enters champion or
challenger only with an ``apps.approvals`` request that names it and the target state, was
asked for by one person and approved by another. A kind turns it on by registering a gate that
calls ``four_eyes_refusals`` (risk models do, per tenant); the approval's ``on_approve`` handler
performs the transition with ``context={"approval": request}``."""

from __future__ import annotations

from apps.approvals.models import ApprovalRequest, ApprovalState

from .gates import PromotionRequest


def promotion_target(version) -> str:
    """The approval request's ``target`` for a version: ``<app_label.model>:<pk>``."""
    return f"{version._meta.label_lower}:{version.pk}"


def four_eyes_refusals(request: PromotionRequest, *, approval_kind: str) -> list[str]:
    """Why ``request`` lacks a valid second person's approval of the kind ``approval_kind``
    (each kind of model registers its own, with its handler); an empty list: it has one."""
    approval = request.context.get("approval")
    label = str(getattr(request.version, "label", request.version))
    if not isinstance(approval, ApprovalRequest):
        return [
            f"{label}: promotion needs four eyes: request it, and a second person with an "
            f"approver role approves it."
        ]
    if approval.kind != approval_kind or approval.target != promotion_target(request.version):
        return [f"{label}: the approval given is for another action or version."]
    if approval.payload.get("state") != request.to_state:
        return [f"{label}: the approval is for state {approval.payload.get('state')!r}."]
    if approval.state not in (ApprovalState.APPROVED, ApprovalState.EXECUTED):
        return [f"{label}: the approval request is {approval.state}, not approved."]
    if approval.decided_by_id is None or approval.decided_by_id == approval.requested_by_id:
        return [f"{label}: the requester cannot approve their own promotion."]
    return []
