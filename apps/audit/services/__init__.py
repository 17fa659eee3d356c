"""Writes to the audit log. Keyword-only arguments (HackSoft).

- ``audit_event_record``: the low-level append to a chain, inside the caller's transaction.
- ``audited``: what services use: one line at the call site, as a context manager or decorator
  (``current_audit_draft()`` is the draft inside a decorated service).
- ``audit_denied_request``: the DRF exception handler's record of a 401/403/404/429.
- ``audit_checkpoint_create``: signs the head of each chain (command and beat task).
- ``audit_verification_start``: verifies a tenant's chain as a background job.
- ``input_digest``: the keyed digest of a model call's or a batch's input.
"""

from apps.audit.hashing import input_digest

from .audited import AuditDraft, audited, current_audit_draft
from .checkpoints import audit_checkpoint_create
from .events import audit_denied_request, audit_event_record
from .verifications import audit_verification_start

__all__ = [
    "AuditDraft",
    "audit_checkpoint_create",
    "audit_denied_request",
    "audit_event_record",
    "audit_verification_start",
    "audited",
    "current_audit_draft",
    "input_digest",
]
