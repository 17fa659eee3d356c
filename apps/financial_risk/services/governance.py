"""Model governance of the financial-risk vertical (issue 22): a tenant's settings, and four
eyes on promotion through ``apps.approvals``.

A member's promotion to champion or challenger is a request (``risk_model_promotion_request``);
a different person holding the admin or model-validator role approves it, and the approval's
handler performs the move through the registry with the approval in the context, where the
four-eyes gate (``apps.registry.four_eyes``) and the metric gates (``services.gates``) read it.
An approval carrying a written justification overrides failed metric gates; the justification,
the requester and the approver are recorded on the card and in the promotion's audit event.
"""

from __future__ import annotations

from django.db import transaction
from rest_framework.exceptions import PermissionDenied

from apps.accounts.roles import Role
from apps.approvals.models import ApprovalRequest
from apps.approvals.registry import approval_kind_register
from apps.approvals.services import (
    approval_approve,
    approval_mark_executed,
    approval_reject,
    approval_request_create,
)
from apps.financial_risk.models import RiskModel
from apps.registry.four_eyes import four_eyes_refusals, promotion_target
from apps.registry.gates import PromotionRequest
from apps.registry.services import PromotionRefused, transition_check, version_transition

from .gates import MEMBER_ACTORS, gate_alerts_raise, risk_model_gates_evaluate
from .governance_settings import governance_settings

PROMOTION_APPROVAL_KIND = "financial_risk.model.promote"
APPROVER_ROLES = frozenset({Role.ADMIN, Role.MODEL_VALIDATOR})


def risk_model_four_eyes_gate(request: PromotionRequest) -> list[str]:
    """Registered for risk models: a member's promotion needs a second person's approval
    when the tenant keeps four eyes on (the default)."""
    actor = request.actor
    if actor is None or actor.kind not in MEMBER_ACTORS:
        return []
    if not governance_settings(request.tenant)["four_eyes"]:
        return []
    return four_eyes_refusals(request, approval_kind=PROMOTION_APPROVAL_KIND)


def risk_model_promote(
    *,
    tenant,
    model: RiskModel,
    state: str,
    approval: ApprovalRequest | None = None,
    system_override: str = "",
) -> RiskModel:
    """Move ``model`` to ``state`` through the shared registry: promoting to champion or
    challenger retires the version holding that state for the name and passes the gates
    (metric gates; four eyes for a member). A transition the state machine forbids is refused
    before anything is written; the move is audited with the old and new state, any version
    it displaced, the gates' results and an override's justification. ``system_override``
    (a written justification) lets the platform's own code, where no member acts, promote past
    failed gates, recorded like an approver's override; a member's promotion ignores it."""
    transition_check(model, state)
    refusal: dict = {}  # filled by the metric gate when it refuses (gates.py)
    context: dict = {"gate_refusal": refusal}
    if approval is not None:
        context["approval"] = approval
    if system_override:
        context["system_override"] = system_override
    try:
        return version_transition(
            tenant=tenant,
            version=model,
            state=state,
            action="financial_risk.model.promote",
            context=context,
        )
    except PromotionRefused:
        if refusal:  # failed gates alert people, though the promotion's writes rolled back
            gate_alerts_raise(
                tenant=tenant, model=model, state=refusal["to"], results=refusal["results"]
            )
        raise


def risk_model_promotion_request(
    *, tenant, model: RiskModel, state: str, requested_by, reason: str = ""
) -> ApprovalRequest:
    """Ask for ``model`` to enter ``state``: the gates are evaluated now (their results go on
    the card for the approver to read) and a second person must approve."""
    transition_check(model, state)  # an impossible move is a 400, whoever asks
    if requested_by is None:
        raise PermissionDenied("a promotion is requested by a person, not by a bare key")
    with transaction.atomic():
        risk_model_gates_evaluate(tenant=tenant, model=model, state=state)
        return approval_request_create(
            tenant=tenant,
            kind=PROMOTION_APPROVAL_KIND,
            target=promotion_target(model),
            payload={"state": state, "model": str(model.pk), "label": model.label},
            requested_by=requested_by,
            reason=reason,
        )


def _promotion_approved(approval: ApprovalRequest) -> None:
    """The approval handler: promote with the approval as context, then mark it executed."""
    model = RiskModel.objects.get(pk=approval.payload["model"], tenant=approval.tenant)
    promoted = risk_model_promote(
        tenant=approval.tenant, model=model, state=approval.payload["state"], approval=approval
    )
    approval_mark_executed(
        request=approval,
        result={
            "state": promoted.state,
            "gates": promoted.card.get("gates", {}).get("results", {}),
            "override": promoted.card.get("gates", {}).get("override"),
        },
    )


def risk_model_promotion_decide(
    *, tenant, approval: ApprovalRequest, user, approve: bool, justification: str = ""
) -> RiskModel:
    """Approve (performing the promotion) or reject a promotion request as ``user``; a
    justification given on approval overrides failed gates and is recorded."""
    if user is None:
        raise PermissionDenied("a promotion is decided by a person, not by a bare key")
    decide = approval_approve if approve else approval_reject
    decide(request=approval, user=user, justification=justification.strip())
    return RiskModel.objects.get(pk=approval.payload["model"], tenant=tenant)


def register_governance() -> None:
    """Called when the app is ready: the approval kind of promotions (its approvers and
    handler); the gates are registered by the app config."""
    approval_kind_register(
        PROMOTION_APPROVAL_KIND, approver_roles=APPROVER_ROLES, on_approve=_promotion_approved
    )
