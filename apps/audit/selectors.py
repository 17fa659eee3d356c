"""Reads of the audit log: tenant-scoped querysets and the JSONL export format."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from datetime import datetime

from django.db.models import QuerySet

from .hashing import event_content
from .models import AuditCheckpoint, AuditEvent, chain_key

EXPORT_CHUNK_SIZE = 2000


def audit_events_of(*, tenant) -> QuerySet[AuditEvent]:
    """A tenant's events, newest first."""
    return AuditEvent.objects.filter(tenant=tenant).order_by("-created_at", "-seq")


def audit_events_between(
    *, since: datetime, until: datetime | None = None, tenant=None
) -> QuerySet[AuditEvent]:
    """Events with ``since <= created_at < until``, oldest first, in chain order.

    ``tenant`` None means every chain, the platform's included (operators' exports).
    """
    events = AuditEvent.objects.filter(created_at__gte=since)
    if until is not None:
        events = events.filter(created_at__lt=until)
    if tenant is not None:
        events = events.filter(tenant=tenant)
    return events.order_by("created_at", "chain", "seq")


def audit_checkpoints_of(*, tenant) -> QuerySet[AuditCheckpoint]:
    """The signed checkpoints of a tenant's chain, newest first."""
    return AuditCheckpoint.objects.filter(chain=chain_key(tenant.pk)).order_by("-seq")


def audit_event_as_dict(event: AuditEvent) -> dict:
    """The export form of an event: its hashed content plus ``seq`` and ``hash``, so an
    exported file can be re-verified without the database (SHA-256 of the canonical JSON of
    everything but ``seq`` and ``hash`` equals ``hash``; each ``prev_hash`` is the previous
    line's ``hash`` within a chain)."""
    return {**event_content(event), "seq": event.seq, "hash": event.hash}


def audit_events_as_jsonl(events: QuerySet[AuditEvent] | Iterable[AuditEvent]) -> Iterator[str]:
    """One JSON line per event, streamed from the database in chunks (``.iterator()``)."""
    if isinstance(events, QuerySet):
        events = events.iterator(chunk_size=EXPORT_CHUNK_SIZE)
    for event in events:
        yield json.dumps(audit_event_as_dict(event), ensure_ascii=False, sort_keys=True) + "\n"
