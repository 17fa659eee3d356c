"""Reads of domain adaptation: tenant-scoped querysets, and the serving hook through which the
inference worker finds a tenant's promoted adapter (``MODELS_RUNTIME_ADAPTER_HOOK``)."""

from __future__ import annotations

import uuid

from django.db.models import QuerySet

from apps.registry.models import ModelState
from models_runtime.adapters import AdapterRef

from .models import AdapterVersion, TrainingSet
from .services.adapters import adapter_files


def training_sets_of(*, tenant) -> QuerySet[TrainingSet]:
    return TrainingSet.objects.filter(tenant=tenant).defer("pairs")


def adapters_of(*, tenant) -> QuerySet[AdapterVersion]:
    return AdapterVersion.objects.filter(tenant=tenant).defer("weights")


def adapter_for_serving(*, tenant_id, name: str, model: str):
    """The tenant's promoted adapter ``name`` for ``model`` as a models_runtime ``AdapterRef``,
    or None (no such adapter for this tenant: another tenant's never answers)."""
    try:
        tenant_uuid = uuid.UUID(str(tenant_id))
    except ValueError:
        return None
    row = (
        AdapterVersion.objects.filter(
            tenant_id=tenant_uuid, name=name, base_model=model, state=ModelState.CHAMPION
        )
        .values("pk", "digest")
        .first()
    )
    if row is None:
        return None

    def fetch() -> dict[str, bytes]:
        return adapter_files(AdapterVersion.objects.get(pk=row["pk"], tenant_id=tenant_uuid))

    return AdapterRef(name=name, digest=row["digest"], base_model=model, fetch=fetch)
