"""The audit record of every read of health records (lists, details, outputs)."""

from __future__ import annotations

from apps.audit.services import audit_event_record


def record_read(
    *,
    tenant,
    resource_type: str,
    resource_id: str = "",
    row_count: int | None = None,
    what: str = "read",
) -> None:
    """One audit event per read request: which record (or how many rows of a list)."""
    audit_event_record(
        tenant=tenant,
        action=f"{resource_type}.{what}",
        resource_type=resource_type,
        resource_id=resource_id,
        row_count=row_count,
    )
