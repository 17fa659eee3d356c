"""Four eyes on promotion, as one workflow for every kind of the registry (issue 22).

A kind registers once, when its app is ready::

    four_eyes_register(
        AdapterVersion,
        approval_kind="adaptation.adapter.promote",
        approver_roles={"admin"},
        promote=lambda *, tenant, version, state, approval: ...,
        required=lambda tenant: tenant.four_eyes_promotions,
    )

From then on, while ``required(tenant)`` holds, a member's promotion of that kind to champion or
challenger is refused by the registry's promotion hook unless it carries an approved
``apps.approvals`` request naming the version and the state (``four_eyes_refusals``):

1. ``promotion_request`` asks for it (one person; the move is checked against the kind's state
   machine first, so an impossible move is a 400 before anything is stored);
2. ``promotion_decide`` approves or rejects it as a second person holding an approver role
   (``apps.approvals`` refuses the requester and other roles, audited);
3. approving runs the kind's ``promote`` with the approval in the context, then marks the
   request executed with the version's new state.

Risk models keep their own richer flow (gates evaluated at request time, overrides with a
written justification: the financial-risk vertical's governance services) over the same
approvals and the same ``four_eyes_refusals``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.db import transaction
from rest_framework.exceptions import PermissionDenied

from apps.approvals.models import ApprovalRequest
from apps.approvals.registry import approval_kind_register
from apps.approvals.services import (
    approval_approve,
    approval_mark_executed,
    approval_reject,
    approval_request_create,
)
from apps.audit.services import current_audit_draft

from .four_eyes import four_eyes_refusals, promotion_target
from .gates import PromotionRequest, promotion_gate_register, promotion_gate_unregister
from .models import VersionedModel
from .services import PromotionError, transition_check

# Actors that are tenant members. The platform's own code (a training job registering the
# version it trained, seeding, benchmarks) acts as the system and is not a second person's
# business; a kind that wants its jobs gated keeps their versions as drafts instead.
MEMBER_ACTORS = frozenset({"user", "api_key"})


@dataclass(frozen=True)
class FourEyesKind:
    model: type[VersionedModel]
    approval_kind: str
    promote: Callable[..., VersionedModel]
    required: Callable[[object], bool]

    @property
    def label(self) -> str:
        return self.model._meta.label_lower

    def gate(self, request: PromotionRequest) -> list[str]:
        """The promotion hook's gate: a member's promotion needs an approval while the
        tenant asks for four eyes on this kind."""
        actor = request.actor
        if actor is None or actor.kind not in MEMBER_ACTORS:
            return []
        if not self.required(request.tenant):
            return []
        return four_eyes_refusals(request, approval_kind=self.approval_kind)

    def approved(self, approval: ApprovalRequest) -> None:
        """The approval's handler: promote with the approval as context, mark it executed.

        A refusal rolls the whole decision back (the request keeps waiting); its reasons go on
        the approval's error event, since the promotion's own event rolls back with it. A
        request made for a version in another state than it is in now (promoted and retired
        since, say) is stale and refused: it approved a different situation."""
        version = self.model.objects.get(pk=approval.payload["version"], tenant=approval.tenant)
        try:
            asked_from = approval.payload.get("from_state")
            if asked_from is not None and version.state != asked_from:
                raise PromotionError(
                    f"the request was made while the version was {asked_from}; it is "
                    f"{version.state} now: ask again."
                )
            promoted = self.promote(
                tenant=approval.tenant,
                version=version,
                state=approval.payload["state"],
                approval=approval,
            )
        except PromotionError as exc:
            draft = current_audit_draft()
            if draft is not None:
                draft.details = {**draft.details, "refusal": getattr(exc, "reasons", [str(exc)])}
            raise
        approval_mark_executed(request=approval, result={"state": promoted.state})


_kinds: dict[str, FourEyesKind] = {}


def four_eyes_register(
    model: type[VersionedModel],
    *,
    approval_kind: str,
    approver_roles,
    promote: Callable[..., VersionedModel],
    required: Callable[[object], bool],
) -> FourEyesKind:
    """Put ``model``'s promotions under four eyes while ``required(tenant)``: registers the
    approval kind (its approvers and handler) and the promotion hook's gate."""
    kind = FourEyesKind(model, approval_kind, promote, required)
    previous = _kinds.get(kind.label)
    if previous is not None:  # a reload (tests): one gate per kind
        promotion_gate_unregister(kind.label, previous.gate)
    _kinds[kind.label] = kind
    approval_kind_register(approval_kind, approver_roles=approver_roles, on_approve=kind.approved)
    promotion_gate_register(kind.label, kind.gate)
    return kind


def four_eyes_kind(model_or_version) -> FourEyesKind:
    """The registration of a model (or a version's model); KeyError when it has none."""
    return _kinds[model_or_version._meta.label_lower]


def four_eyes_required(*, tenant, version) -> bool:
    """Whether promoting ``version`` (as a member) needs a second person now."""
    return four_eyes_kind(version).required(tenant)


def promotion_request(
    *, tenant, version: VersionedModel, state: str, requested_by, reason: str = ""
) -> ApprovalRequest:
    """Ask for ``version`` to enter ``state``; a second person with an approver role decides.
    ``PromotionError`` (a 400) when the kind's state machine forbids the move."""
    kind = four_eyes_kind(version)
    transition_check(version, state)
    if requested_by is None:
        raise PermissionDenied("a promotion is requested by a person, not by a bare key")
    with transaction.atomic():
        return approval_request_create(
            tenant=tenant,
            kind=kind.approval_kind,
            target=promotion_target(version),
            payload={
                "state": state,
                "from_state": version.state,
                "version": str(version.pk),
                "label": str(getattr(version, "label", version)),
            },
            requested_by=requested_by,
            reason=reason,
        )


def promotion_approval_of(*, tenant, version: VersionedModel, approval_id) -> ApprovalRequest:
    """The promotion request ``approval_id`` of ``version`` in ``tenant``, or None."""
    return ApprovalRequest.objects.filter(
        tenant=tenant,
        pk=approval_id,
        kind=four_eyes_kind(version).approval_kind,
        target=promotion_target(version),
    ).first()


def promotion_decide(
    *, tenant, version: VersionedModel, approval: ApprovalRequest, user, approve: bool
) -> VersionedModel:
    """Approve (performing the promotion) or reject ``approval`` as ``user``; returns the
    version as it now stands."""
    if user is None:
        raise PermissionDenied("a promotion is decided by a signed-in person, not by an API key")
    decide = approval_approve if approve else approval_reject
    decide(request=approval, user=user)
    return type(version).objects.get(pk=version.pk, tenant=tenant)
