"""Intents written over the API: created and changed with the check that their name is free in
the tenant, each write audited with the actions the generic tenant-scoped viewsets give every
other model (``customer_service.intent.create`` and ``.update``; deletion goes through them)."""

from __future__ import annotations

from apps.audit.services import audited
from apps.customer_service.models import Intent

from .training import TrainingDataError

INTENT_FIELDS = ("name", "description", "required_slots")
RESOURCE = "customer_service.intent"


def _name_free(*, tenant, name: str, intent: Intent | None = None) -> None:
    taken = Intent.objects.filter(tenant=tenant, name=name)
    if intent is not None:
        taken = taken.exclude(pk=intent.pk)
    if taken.exists():
        raise TrainingDataError({"name": ["an intent of this name exists"]})


def intent_create(
    *, tenant, name: str, description: str = "", required_slots: list[str] | None = None
) -> Intent:
    """A new intent of the tenant (``TrainingDataError`` on ``name`` when it is taken)."""
    _name_free(tenant=tenant, name=name)
    with audited(tenant=tenant, action=f"{RESOURCE}.create", resource_type=RESOURCE) as event:
        intent = Intent.objects.create(
            tenant=tenant,
            name=name,
            description=description,
            required_slots=list(required_slots or []),
        )
        event.resource_id = str(intent.pk)
    return intent


def intent_update(*, tenant, intent: Intent, changes: dict) -> Intent:
    """Change ``intent``'s name, description or required slots (``changes`` holds those
    given); a name another intent of the tenant has is refused (``TrainingDataError``)."""
    unknown = set(changes) - set(INTENT_FIELDS)
    if unknown:
        raise TrainingDataError({field: ["not a field of an intent"] for field in sorted(unknown)})
    if changes.get("name"):
        _name_free(tenant=tenant, name=changes["name"], intent=intent)
    with audited(
        tenant=tenant,
        action=f"{RESOURCE}.update",
        resource_type=RESOURCE,
        resource_id=str(intent.pk),
        details={"fields": sorted(changes)},
    ):
        for field, value in changes.items():
            setattr(intent, field, value)
        intent.save(update_fields=list(changes) or None)
    return intent
