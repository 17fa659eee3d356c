"""``audited``: the one-line way for services to audit an action."""

from __future__ import annotations

import contextvars
import functools
import logging
import time
from contextlib import contextmanager
from dataclasses import dataclass, field

from django.db import transaction

from apps.audit.models import AuditEvent, Outcome
from apps.core.context import Actor, get_actor, get_request_id
from apps.core.public_ids import public_id_of

from .events import audit_event_record

logger = logging.getLogger("apps.audit.services")


@dataclass
class AuditDraft:
    """The event being prepared by an ``audited`` block; the block may set any field."""

    tenant: object
    action: str
    resource_type: str = ""
    resource_id: str = ""
    model_name: str = ""
    model_revision: str = ""
    input_digest: str = ""
    row_count: int | None = None
    details: dict = field(default_factory=dict)
    status_code: int | None = None
    outcome: str = Outcome.SUCCESS
    actor: Actor | None = None
    request_id: str | None = None
    # Filled in when the block ends: the recorded event (success, failure or error).
    event: AuditEvent | None = None

    def record(self, *, outcome: str, latency_ms: float, details: dict) -> AuditEvent:
        self.event = audit_event_record(
            tenant=self.tenant,
            action=self.action,
            outcome=outcome,
            resource_type=self.resource_type,
            resource_id=self.resource_id,
            status_code=self.status_code,
            latency_ms=latency_ms,
            model_name=self.model_name,
            model_revision=self.model_revision,
            input_digest=self.input_digest,
            row_count=self.row_count,
            details=details,
            actor=self.actor,
            request_id=self.request_id,
        )
        return self.event


_current_draft: contextvars.ContextVar[AuditDraft | None] = contextvars.ContextVar(
    "audit_draft", default=None
)


def current_audit_draft() -> AuditDraft | None:
    """The draft of the innermost ``audited`` block running now (for decorated services)."""
    return _current_draft.get()


@contextmanager
def _audited_block(draft: AuditDraft):
    # The actor and request id are those of the moment the action starts.
    draft.actor = draft.actor or get_actor()
    if draft.request_id is None:
        draft.request_id = get_request_id() or ""
    token = _current_draft.set(draft)
    started = time.monotonic()
    try:
        try:
            with transaction.atomic():
                yield draft
                draft.record(
                    outcome=draft.outcome,
                    latency_ms=(time.monotonic() - started) * 1000,
                    details=draft.details,
                )
        except Exception as exc:
            _record_error(draft, exc, latency_ms=(time.monotonic() - started) * 1000)
            raise
    finally:
        _current_draft.reset(token)


def _record_error(draft: AuditDraft, exc: Exception, *, latency_ms: float) -> None:
    """Record the failed action after its transaction rolled back. Only the exception's class
    is kept: messages often quote the data that was being processed."""
    try:
        with transaction.atomic():
            draft.record(
                outcome=Outcome.ERROR,
                latency_ms=latency_ms,
                details={**draft.details, "exception": type(exc).__name__},
            )
    except Exception as audit_exc:
        logger.exception("could not write the error audit event for %s", draft.action)
        exc.add_note(f"the audit error event could not be written: {type(audit_exc).__name__}")


_TENANT_FROM_CALL = object()


class audited:  # lower case, like transaction.atomic, which it wraps
    """Audit an action in one line, as a context manager or as a decorator of a service.

    Context manager::

        with audited(tenant=tenant, action="financial_risk.decision.create",
                     resource_type="financial_risk.decision") as event:
            decision = Decision.objects.create(...)
            event.resource_id = decision.pk
            event.model_name, event.model_revision = result.model, result.revision
            event.input_digest = input_digest(tenant=tenant, data=features)

    The block runs in ``transaction.atomic()``. On normal exit the event (outcome ``success``,
    or whatever the block set in ``event.outcome``, e.g. ``failure``) is appended inside that
    same transaction: the action and its audit row commit together or not at all. If the block
    raises, its transaction rolls back, an event with outcome ``error`` and the exception's
    class name (never its message, which may quote personal data) is written in a transaction
    of its own, and the exception propagates. Inside an outer ``atomic()`` that "own"
    transaction is a savepoint of the outer one, so write services outside open transactions.
    Latency is measured from entering the block. Actor and request id default to
    ``get_actor()`` and ``get_request_id()``.

    Batch jobs write ONE event for the whole batch, not one per row: set ``event.row_count``
    to the number of rows, ``event.input_digest`` to ``input_digest(tenant=…, data=rows)``
    and the model name and revision once.

    Decorator (the tenant comes from the service's ``tenant`` keyword argument; the draft is
    ``current_audit_draft()``; a returned model instance's pk becomes ``resource_id``)::

        @audited(action="customer_service.ticket.create", resource_type="customer_service.ticket")
        def ticket_create(*, tenant, subject): ...
    """

    def __init__(
        self,
        *,
        action: str,
        tenant=_TENANT_FROM_CALL,
        tenant_arg: str = "tenant",
        **fields,
    ):
        self.action = action
        self.tenant = tenant
        self.tenant_arg = tenant_arg
        self.fields = fields
        self._block = None

    def __enter__(self) -> AuditDraft:
        if self.tenant is _TENANT_FROM_CALL:
            raise TypeError("audited(...) used as a context manager needs tenant=")
        fields = dict(self.fields)
        fields["details"] = dict(fields.get("details") or {})  # never shared between calls
        self._block = _audited_block(AuditDraft(tenant=self.tenant, action=self.action, **fields))
        return self._block.__enter__()

    def __exit__(self, exc_type, exc, tb):
        block, self._block = self._block, None
        return block.__exit__(exc_type, exc, tb)

    def __call__(self, func):
        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            tenant = self.tenant
            if tenant is _TENANT_FROM_CALL:
                if self.tenant_arg not in kwargs:
                    raise TypeError(
                        f"{func.__name__}() needs the keyword argument {self.tenant_arg}"
                    )
                tenant = kwargs[self.tenant_arg]
            with audited(tenant=tenant, action=self.action, **self.fields) as draft:
                result = func(*args, **kwargs)
                if not draft.resource_id and getattr(result, "pk", None) is not None:
                    draft.resource_id = public_id_of(result)
                return result

        return wrapper
