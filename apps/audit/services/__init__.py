"""Writes to the audit log. Keyword-only arguments (HackSoft).

- ``audit_event_record``: the low-level append to a chain, inside the caller's transaction.
- ``audited``: what services use: one line at the call site, as a context manager or decorator
  (``current_audit_draft()`` is the draft inside a decorated service).
- ``audit_denied_request``: the DRF exception handler's record of a 401/403/404/429.
- ``audit_checkpoint_create``: signs the head of each chain (command and beat task) and
  writes the checkpoints to the anchor store (``audit_anchor_run``: the same, plus anchoring
  any checkpoint the store missed; ``audit_restore_record``: after restoring a backup).
- ``input_digest``: the keyed digest of a model call's or a batch's input.
"""

from apps.audit.hashing import input_digest

from .anchoring import audit_anchor_checkpoints
from .anchoring import audit_anchor_run as _anchor_run
from .anchoring import audit_restore_record as _restore_record
from .audited import AuditDraft, audited, current_audit_draft
from .checkpoints import audit_checkpoint_chain, audit_checkpoint_create
from .events import audit_denied_request, audit_event_record


def audit_anchor_run() -> dict:
    """Checkpoint every chain that grew and anchor every unanchored checkpoint."""
    return _anchor_run(checkpoint_create=audit_checkpoint_create)


def audit_restore_record(*, note: str = "") -> list[dict]:
    """Record (signed in the anchor store, audited on the platform chain) that the database
    was restored from an older backup, so that verification accepts the shorter chains."""

    def record_event(*, chains: int):
        audit_event_record(
            tenant=None,
            action="audit.restore.record",
            resource_type="audit.anchor_store",
            details={"chains": chains, "note": note[:200]},
        )
        audit_anchor_run()

    return _restore_record(record_event=record_event)


__all__ = [
    "AuditDraft",
    "audit_anchor_checkpoints",
    "audit_anchor_run",
    "audit_checkpoint_chain",
    "audit_restore_record",
    "audit_checkpoint_create",
    "audit_denied_request",
    "audit_event_record",
    "audited",
    "current_audit_draft",
    "input_digest",
]
