"""Kinds of personal data, registered by the apps that hold them.

``settings.PRIVACY_DATA_KINDS`` lists dotted paths, each to a list of ``DataKind``; the
verticals' own ``privacy.py`` modules define theirs, so this package never imports a
vertical (the same pattern as ADAPTATION_PAIR_SOURCES and OPERATIONS_PANELS). A kind says:

- ``expire(tenant, before, limit)``: delete at most ``limit`` rows created before ``before``;
  returns how many it deleted (the retention job calls it until it returns 0);
- ``erase_subject(tenant, subject_kind, subject_id)``: delete a data subject's rows and
  derived artefacts; returns counts by table;
- ``erase_tenant(tenant)``: delete all of the tenant's rows of this kind; returns counts;
- ``export(tenant)``: yields ``(table, row dict)`` for the tenant export;
- ``subject_kinds``: which identifiers ``erase_subject`` understands ("patient", ...);
  ``ANY_SUBJECT`` for a sweep that looks for every kind of identifier (the knowledge graphs,
  notification deliveries).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import lru_cache

from django.conf import settings
from django.utils.module_loading import import_string

ANY_SUBJECT = "*"


@dataclass(frozen=True)
class DataKind:
    """One kind of stored data and what the lifecycle can do with it (module docstring)."""

    name: str
    default_days: int | None
    expire: Callable[..., int]
    erase_tenant: Callable[..., dict]
    export: Callable[..., Iterable[tuple[str, dict]]]
    erase_subject: Callable[..., dict] | None = None
    subject_kinds: tuple[str, ...] = field(default_factory=tuple)
    # A setting that holds the platform default instead of ``default_days`` (the audit log's
    # AUDIT_RETENTION_DAYS).
    default_setting: str = ""

    def erases(self, subject_kind: str) -> bool:
        """Whether ``erase_subject`` applies to identifiers of ``subject_kind``."""
        if self.erase_subject is None:
            return False
        return subject_kind in self.subject_kinds or ANY_SUBJECT in self.subject_kinds


@lru_cache(maxsize=4)
def _load(paths: tuple[str, ...]) -> dict[str, DataKind]:
    kinds: dict[str, DataKind] = {}
    for path in paths:
        for kind in import_string(path):
            kinds[kind.name] = kind
    return kinds


def data_kinds() -> dict[str, DataKind]:
    """Every registered kind by name."""
    return _load(tuple(getattr(settings, "PRIVACY_DATA_KINDS", [])))


def subject_kinds() -> set[str]:
    """Every data-subject identifier some kind can erase by."""
    return {s for kind in data_kinds().values() for s in kind.subject_kinds} - {ANY_SUBJECT}


def retention_days(kind: DataKind) -> int | None:
    """The platform default for ``kind``: PRIVACY_RETENTION_DAYS[name], else the setting the
    kind names, else the kind's own."""
    overrides = getattr(settings, "PRIVACY_RETENTION_DAYS", {}) or {}
    if kind.name in overrides:
        return overrides[kind.name]
    if kind.default_setting and hasattr(settings, kind.default_setting):
        return getattr(settings, kind.default_setting)
    return kind.default_days


def delete_batch(queryset, limit: int) -> int:
    """Delete at most ``limit`` rows of ``queryset`` (oldest first by pk order); how many."""
    ids = list(queryset.order_by("pk").values_list("pk", flat=True)[:limit])
    if not ids:
        return 0
    queryset.model.objects.filter(pk__in=ids).delete()
    return len(ids)


def deleted_counts(queryset) -> dict:
    """Delete ``queryset`` (cascades included); rows deleted by table label."""
    _, by_model = queryset.delete()
    return {label: count for label, count in by_model.items() if count}


def export_rows(table: str, queryset):
    """``(table, row)`` for every row of ``queryset``, fields by attribute name (encrypted
    fields come back decrypted)."""
    fields = [f.attname for f in queryset.model._meta.concrete_fields]
    for obj in queryset.iterator(chunk_size=500):
        yield table, {name: _plain(getattr(obj, name)) for name in fields}


def _plain(value):
    if isinstance(value, (bytes, memoryview)):
        return bytes(value).hex()
    return value
