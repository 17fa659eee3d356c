"""Writes of the registry: a new version of a family, and a version's move to another state.

- ``version_create``: the next version number of the family, retried when two trainings of
  one family finish together.
- ``version_transition``: the audited move (the caller names the audit action, so every kind
  keeps the action names it always had).
- ``transition_apply``: the same move inside an ``audited`` block the caller already holds
  (intent training registers and activates its version in its own ``train`` event).

A move is refused with ``PromotionError`` when the kind's state machine does not allow it, and
with ``PromotionRefused`` (a ``PromotionError`` with ``reasons``) when a gate of the promotion
hook refuses it (``apps.registry.gates``). Refusals inside the audited block are recorded as
events with outcome ``error``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TypeVar

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from apps.audit.services import audited, current_audit_draft

from .gates import Gate, PromotionRequest, promotion_refusals
from .models import EXCLUSIVE_STATES, PROMOTION_STATES, ModelState, VersionedModel

VERSION_ATTEMPTS = 5

M = TypeVar("M", bound=VersionedModel)


class PromotionError(ValueError):
    """A transition the kind's state machine does not allow."""


class PromotionRefused(PromotionError):
    """A gate of the promotion hook refused the transition; ``reasons`` says why."""

    def __init__(self, reasons: list[str]):
        self.reasons = list(reasons)
        super().__init__(" ".join(self.reasons))


def version_create(model: type[M], **fields) -> M:
    """Create the next version of the family that ``fields`` names (they include the
    kind's ``family_fields``); a draft unless ``fields`` says otherwise."""
    family = {name: fields[name] for name in model.family_fields}
    for _ in range(VERSION_ATTEMPTS):
        latest = model.objects.filter(**family).aggregate(v=Max("version"))["v"] or 0
        try:
            with transaction.atomic():
                return model.objects.create(version=latest + 1, **fields)
        except IntegrityError:
            continue  # another version of the family took this number first
    raise IntegrityError(f"could not allocate a version of {model.__name__} {family!r}")


def transition_check(version: VersionedModel, state: str) -> None:
    """``PromotionError`` unless the kind's state machine lets ``version`` move to ``state``
    (a check without a lock: callers may refuse early, before they audit anything)."""
    if state not in ModelState.values:
        raise PromotionError(f"{state!r} is not a state of the model registry.")
    if state not in type(version).transitions.get(version.state, frozenset()):
        raise PromotionError(version.transition_refusal(state))


def transition_apply(
    *,
    tenant,
    version: M,
    state: str,
    context: dict | None = None,
    gates: Iterable[Gate] = (),
    on_locked: Callable[[M], None] | None = None,
) -> tuple[M, M | None]:
    """Move ``version`` to ``state`` inside the caller's ``audited`` block: lock the row
    (``on_locked(locked)`` may describe it in the audit event before any check), check the
    kind's state machine, run the promotion hook (entering champion or challenger),
    retire the version that held an exclusive state in the family, save. Returns the locked
    version, moved, and the displaced one (or None)."""
    if current_audit_draft() is None:
        raise RuntimeError("a registry transition runs inside an audited() block")
    model = type(version)
    locked = model.objects.select_for_update().get(pk=version.pk, tenant=tenant)
    if on_locked is not None:
        on_locked(locked)
    transition_check(locked, state)
    if state in PROMOTION_STATES:
        request = PromotionRequest(
            tenant=tenant,
            version=locked,
            from_state=locked.state,
            to_state=state,
            actor=current_audit_draft().actor,
            context=dict(context or {}),
        )
        reasons = promotion_refusals(request, extra=gates)
        if reasons:
            raise PromotionRefused(reasons)
    displaced = None
    if state in EXCLUSIVE_STATES:
        displaced = (
            model.objects.select_for_update()
            .filter(state=state, **locked.family())
            .exclude(pk=locked.pk)
            .first()
        )
        if displaced is not None:
            displaced.state = ModelState.RETIRED
            displaced.save(update_fields=["state"])
    fields = ["state"]
    locked.state = state
    if state in model.stamped_states:
        locked.promoted_at = timezone.now()
        fields.append("promoted_at")
    locked.save(update_fields=fields)
    return locked, displaced


def version_transition(
    *,
    tenant,
    version: M,
    state: str,
    action: str,
    details: Callable[[M], dict] | None = None,
    context: dict | None = None,
    gates: Iterable[Gate] = (),
) -> M:
    """Move ``version`` to ``state``, audited as ``action`` with the version's identity and
    ``{"from", "to", "displaced"}`` (in the kind's words) plus what ``details(locked)`` adds.
    Refusals (``PromotionError``, ``PromotionRefused``) are audited with outcome ``error``."""
    model = type(version)
    model_name, model_revision = version.audit_identity()
    with audited(
        tenant=tenant,
        action=action,
        resource_type=model._meta.label_lower,
        resource_id=str(version.pk),
        model_name=model_name,
        model_revision=model_revision,
    ) as event:

        def describe(locked: M) -> None:
            event.details = {
                **(details(locked) if details else {}),
                "from": model.state_word(locked.state),
                "to": model.state_word(state),
            }

        locked, displaced = transition_apply(
            tenant=tenant,
            version=version,
            state=state,
            context=context,
            gates=gates,
            on_locked=describe,
        )
        event.details["displaced"] = displaced.audit_reference() if displaced else None
    return locked
