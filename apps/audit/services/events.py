"""Appending events: ``audit_event_record`` and the denied-request record."""

from __future__ import annotations

import logging
import re

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from apps.audit.hashing import canonical_json, event_hash, normalise_details
from apps.audit.models import GENESIS_HASH, AuditChainHead, AuditEvent, Outcome, chain_key
from apps.audit.redaction import mask_details, mask_text
from apps.core.context import Actor, get_actor, get_request_id
from apps.core.public_ids import user_public_id
from apps.privacy.logmask import mask_for_log  # the detectors load on first use

from .anchoring import anchor_if_due
from .checkpoints import audit_checkpoint_chain
from .group_commit import group_append, group_commit_enabled

logger = logging.getLogger("apps.audit.services")

# ``details`` is for a few counts, ids and reasons; anything bigger is probably data that does
# not belong in an audit row.
MAX_DETAILS_BYTES = 4096
MAX_REASON_CHARS = 200

_TRUNCATED_FIELDS = (
    "actor_kind",
    "actor_id",
    "actor_label",
    "actor_role",
    "resource_type",
    "resource_id",
    "request_id",
    "model_name",
    "model_revision",
)


def _raise_audit_errors() -> bool:
    """Tests set AUDIT_RAISE_ERRORS so that an audit failure that production only logs fails
    the test instead of passing unnoticed."""
    return bool(getattr(settings, "AUDIT_RAISE_ERRORS", False))


# Chains whose head row this process has seen: their next event skips the INSERT that creates
# a head (one statement of five on the per-request path). Heads are never deleted in normal
# operation; if one is (a test database flush), the lock finds no row and the insert runs.
_known_chains: set[str] = set()
_LOCK_HEAD_SQL = f"SELECT * FROM {AuditChainHead._meta.db_table} WHERE chain = %s FOR UPDATE"
_MOVE_HEAD_SQL = (
    f"UPDATE {AuditChainHead._meta.db_table} SET last_seq = %s, last_hash = %s, updated_at = %s "
    "WHERE chain = %s"
)


def _locked_head(key: str, tenant) -> AuditChainHead:
    """The chain's head row, created if missing, locked until the transaction ends.

    INSERT … ON CONFLICT DO NOTHING first, then SELECT … FOR UPDATE: two writers of a new chain
    cannot both create it, and neither sees "no row" when it locks. On SQLite the insert also
    takes the database's write lock before anything is read, which serialises writers there, so
    the insert is skipped only on databases that lock rows.
    """
    heads = AuditChainHead.objects.select_for_update()
    if key in _known_chains and connection.features.has_select_for_update:
        # Written out: this runs on every audited request, and the ORM's compiler costs more
        # CPU than the statement.
        found = list(AuditChainHead.objects.raw(_LOCK_HEAD_SQL, [key]))
        if found:
            return found[0]
    AuditChainHead.objects.bulk_create(
        [AuditChainHead(chain=key, tenant=tenant, last_seq=0, last_hash=GENESIS_HASH)],
        ignore_conflicts=True,
    )
    head = heads.get(chain=key)
    _known_chains.add(key)
    return head


def append_locked(key: str, tenant, events: list[AuditEvent]) -> None:
    """Append ``events`` (prepared, unsaved, all of chain ``key``) in order, inside the current
    transaction, which must be open: the head row stays locked until it ends."""
    head = _locked_head(key, tenant)
    seq, prev_hash = head.last_seq, head.last_hash
    for event in events:
        seq += 1
        event.seq = seq
        # Taken under the lock, so time never goes backwards along a chain (clock permitting).
        event.created_at = timezone.now()
        event.prev_hash = prev_hash
        event.hash = prev_hash = event_hash(event)
    AuditEvent.objects.bulk_create(events)
    last = events[-1]
    with connection.cursor() as cursor:
        cursor.execute(
            _MOVE_HEAD_SQL,
            [
                last.seq,
                last.hash,
                AuditChainHead._meta.get_field("updated_at").get_db_prep_value(
                    last.created_at, connection
                ),
                key,
            ],
        )


# apps.accounts.authentication.actor_for labels a key "<name> (<prefix>)".
_KEY_LABEL = re.compile(r"(?P<name>.*) \((?P<prefix>[A-Za-z0-9_]{1,32})\)", re.DOTALL)


def _pseudonymous_label(actor: Actor) -> str:
    """A person is named in the log by their user id only, never by a username or e-mail, so
    that erasing a person never needs to touch the hash-chained log (issue 19). API keys and
    system actors keep their labels (a key's name and prefix, a job's name), masked: a key may
    be named after the person who holds it."""
    if actor.kind == "user":
        return f"user:{actor.id}" if actor.id else "user"
    label = actor.label or ""
    key = _KEY_LABEL.fullmatch(label) if actor.kind == "api_key" else None
    if key:
        # Only the name can be personal. The prefix is random letters and digits, which the
        # masker's pre-check would take for a passport-like token and send through Presidio
        # (loading its models on a web process's first audited call of each key).
        return f"{mask_text(key['name'])} ({key['prefix']})"
    return mask_text(label)


def audit_event_record(
    *,
    tenant,
    action: str,
    outcome: str = Outcome.SUCCESS,
    resource_type: str = "",
    resource_id: str = "",
    status_code: int | None = None,
    latency_ms: float | None = None,
    model_name: str = "",
    model_revision: str = "",
    input_digest: str = "",
    row_count: int | None = None,
    details: dict | None = None,
    actor: Actor | None = None,
    request_id: str | None = None,
) -> AuditEvent:
    """Append one event to ``tenant``'s chain (the platform chain when ``tenant`` is None).

    Runs in the caller's transaction (a savepoint when one is open), so the event commits or
    rolls back together with the action it records. The chain's head row is locked for the rest
    of that transaction: concurrent writers of one chain wait for each other, and the chain
    never forks. Called outside any transaction, the event is committed before this returns,
    in one transaction with the concurrent appends to the same chain (group commit,
    ``apps.audit.services.group_commit``). Actor and request id default to the current
    request's (apps.core.context).

    ``details`` must be a small JSON object without personal or health data; model inputs go
    in ``input_digest`` (see ``input_digest()``), never in clear. Whatever personal data
    ``details`` or ``resource_id`` still carry is masked here (``apps.audit.redaction``).
    """
    if not action:
        raise ValueError("an audit event needs an action")
    if len(action) > AuditEvent._meta.get_field("action").max_length:
        raise ValueError(f"audit action {action[:40]!r}… is too long")
    if outcome not in Outcome.values:
        raise ValueError(f"unknown audit outcome {outcome!r}")
    # Personal data never enters the chain: masked on write (apps.audit.redaction).
    details = mask_details(normalise_details(details))
    if len(canonical_json(details)) > MAX_DETAILS_BYTES:
        raise ValueError(f"audit details are limited to {MAX_DETAILS_BYTES} bytes of JSON")
    actor = actor or get_actor()
    if request_id is None:
        request_id = get_request_id() or ""
    key = chain_key(tenant.pk if tenant is not None else None)
    event = AuditEvent(
        chain=key,
        tenant=tenant,
        actor_kind=actor.kind,
        actor_id=str(actor.id or ""),
        actor_label=_pseudonymous_label(actor),
        actor_role=actor.role or "",
        action=action,
        resource_type=resource_type or "",
        resource_id=mask_text(str(resource_id or "")),
        request_id=request_id,
        outcome=outcome,
        status_code=status_code,
        latency_ms=None if latency_ms is None else max(0, round(latency_ms)),
        model_name=model_name or "",
        model_revision=model_revision or "",
        input_digest=input_digest or "",
        row_count=row_count,
        details=details,
    )
    for name in _TRUNCATED_FIELDS:
        max_length = AuditEvent._meta.get_field(name).max_length
        setattr(event, name, getattr(event, name)[:max_length])

    if connection.in_atomic_block or not connection.get_autocommit() or not group_commit_enabled():
        # Inside the caller's transaction: the event commits or rolls back with it.
        with transaction.atomic():
            append_locked(key, tenant, [event])
            # Every AUDIT_ANCHOR_EVERY_EVENTS events or AUDIT_ANCHOR_SECONDS, after commit.
            anchor_if_due(key, event.seq, checkpoint_chain=audit_checkpoint_chain)
        return event
    # A transaction of its own: shared with the concurrent appends to the same chain.
    group_append(event, append=append_locked)
    anchor_if_due(key, event.seq, checkpoint_chain=audit_checkpoint_chain)
    return event


# ---------------------------------------------------------------------------- denied requests


def _credential_of(request):
    """The accounts credential of a DRF request, without re-running authentication."""
    return vars(request).get("_auth")


def _actor_of(request) -> Actor:
    actor = get_actor()
    if actor.kind != "anonymous":
        return actor
    # A logged-in user refused before a credential existed (e.g. not a member of the tenant).
    user = getattr(getattr(request, "_request", request), "user", None)
    if user is not None and user.is_authenticated and getattr(user, "pk", None) is not None:
        return Actor("user", id=user_public_id(user.pk), label=user.get_username())
    return actor


WITHHELD = "<withheld>"


def _masked(text: str) -> str:
    """``text`` with personal data masked, by the logging filter's masker: the request's log
    line holds the same path and message, so this is usually a cache hit. If masking fails the
    text is withheld, never stored unmasked, and the event is still written."""
    try:
        return mask_for_log(text)
    except Exception:
        logger.exception("could not mask a denied request's path or reason; withheld")
        return WITHHELD


def audit_denied_request(*, request, status_code: int, reason: str) -> AuditEvent | None:
    """Record a refused request (401, 403, 404, 429) in a transaction of its own.

    Called by the DRF exception handler, outside any atomic block, so the event persists even
    though the request failed. The tenant is the credential's when the caller authenticated
    (an ApiKey or a Membership in ``request.auth``), else the event joins the platform chain.
    The resource is the path without its query string; ``reason`` is DRF's short message;
    personal data in either is masked (``apps.privacy``).

    An audit failure never turns the 4xx into a 500: it is logged and the answer goes out;
    with ``AUDIT_RAISE_ERRORS`` (test settings) it raises instead, so tests notice.
    """
    try:
        # The credentials accounts authenticates with (an ApiKey, a Membership) each carry the
        # tenant they act in; audit sits below accounts and reads the attribute, not the class.
        tenant = getattr(_credential_of(request), "tenant", None)
        with transaction.atomic():
            return audit_event_record(
                tenant=tenant,
                action=f"http.{request.method.lower()}.denied",
                resource_type="http.path",
                # A caller controls the path and DRF quotes what it sent: mask both.
                resource_id=_masked(request.path),
                outcome=Outcome.DENIED,
                status_code=status_code,
                details={"reason": _masked(str(reason)[:MAX_REASON_CHARS])},
                actor=_actor_of(request),
            )
    except Exception:
        logger.exception("could not audit a denied request (status %s)", status_code)
        if _raise_audit_errors():
            raise
        return None
