"""Writing signed checkpoints to the anchor store outside the database.

- ``audit_anchor_checkpoints``: anchor the given checkpoints (called on every checkpoint);
- ``audit_anchor_run``: checkpoint every chain that grew and anchor every chain whose newest
  checkpoint is not anchored yet (celery-beat, every AUDIT_ANCHOR_SECONDS, and on demand);
- ``anchor_if_due``: called after each event; once a chain has grown by
  AUDIT_ANCHOR_EVERY_EVENTS events, or AUDIT_ANCHOR_SECONDS have passed since this process last
  anchored it, the chain is checkpointed and anchored when the event's transaction commits;
- ``audit_restore_record``: after restoring an older backup, record (signed, anchored,
  audited) that each chain's expected end moved back, so the restore is not read as tampering.

Records of one chain are written under a per-chain database lock, so two processes never
append records with the same ``prev``.
"""

from __future__ import annotations

import logging
import time

from django.conf import settings
from django.db import connection, transaction

from apps.audit.anchors.base import AnchorStore
from apps.audit.anchors.records import ANCHOR, RESTORE, anchor_record, manifest_record
from apps.audit.anchors.store import anchor_store
from apps.audit.anchors.timestamps import timestamp_record
from apps.audit.models import AuditChainHead, AuditCheckpoint, AuditEvent

logger = logging.getLogger("apps.audit.services")

# chain -> (seq, monotonic time) of the last anchor this process wrote or scheduled.
_last_anchor: dict[str, tuple[int, float]] = {}
# Chains this process has seen in the manifest (saves re-reading it on every anchor).
_in_manifest: set[tuple[str, str]] = set()


def _chain_lock(chain: str) -> None:
    """Hold a per-chain lock until the transaction ends (PostgreSQL advisory lock; SQLite
    serialises writers by itself)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", ["audit-anchor:" + chain])


def _append(store: AnchorStore, *, chain, tenant_id, seq, head_hash, kind=ANCHOR) -> dict | None:
    with transaction.atomic():
        _chain_lock(chain)
        last = store.last_record(chain)
        if kind == ANCHOR and last is not None and last.seq >= seq and last.kind == ANCHOR:
            return None  # already anchored at or past this position
        record = anchor_record(
            chain=chain,
            tenant_id=tenant_id,
            seq=seq,
            head_hash=head_hash,
            prev=last.hash if last is not None else None,
            kind=kind,
        )
        record = timestamp_record(record)  # RFC 3161, when AUDIT_TSA_URL is set
        store.append(record)
        if last is None:
            store.add_to_manifest(manifest_record(first=record))
            _in_manifest.add((store.url, chain))
        elif (store.url, chain) not in _in_manifest:
            _manifest_repair(store, chain)
    _last_anchor[chain] = (seq, time.monotonic())
    return record


def _manifest_repair(store: AnchorStore, chain: str) -> None:
    """Add a manifest entry for a chain whose first anchor was written but whose manifest entry
    was not (the process died between the two writes)."""
    if not any(entry.chain == chain for entry in store.manifest()):
        first = store.records(chain)[0]
        store.add_to_manifest(manifest_record(first=first.data))
    _in_manifest.add((store.url, chain))


def audit_anchor_checkpoints(checkpoints) -> int:
    """Write each checkpoint to the anchor store (when AUDIT_ANCHOR_URL is set); returns how
    many records were written. A checkpoint at or behind the store's newest anchor of its chain
    is skipped."""
    store = anchor_store()
    if store is None:
        return 0
    written = 0
    for checkpoint in sorted(checkpoints, key=lambda c: (c.chain, c.seq)):
        record = _append(
            store,
            chain=checkpoint.chain,
            tenant_id=checkpoint.tenant_id,
            seq=checkpoint.seq,
            head_hash=checkpoint.head_hash,
        )
        written += record is not None
    return written


def audit_anchor_run(*, checkpoint_create) -> dict:
    """Checkpoint every chain that grew (``checkpoint_create``, which anchors what it signs),
    then anchor the newest checkpoint of any chain the store is behind on (a store that was
    down, a checkpoint signed while anchoring was off). Returns counts."""
    created = checkpoint_create()
    store = anchor_store()
    behind = 0
    if store is not None:
        newest = {}
        for checkpoint in AuditCheckpoint.objects.order_by("chain", "seq").iterator():
            newest[checkpoint.chain] = checkpoint
        behind = audit_anchor_checkpoints(newest.values())
    return {"checkpoints": len(created), "anchored_late": behind}


def anchor_if_due(chain: str, seq: int, *, checkpoint_chain) -> None:
    """After an event at ``seq`` of ``chain``: when the chain is due for an anchor, checkpoint
    and anchor it once the current transaction commits (never inside it: an anchor must not
    name an event that could still roll back). Failures are logged, never raised: the beat
    task anchors whatever an inline attempt missed."""
    if not getattr(settings, "AUDIT_ANCHOR_URL", ""):
        return
    last = _last_anchor.get(chain)
    now = time.monotonic()
    every = settings.AUDIT_ANCHOR_EVERY_EVENTS
    if last is not None and seq - last[0] < every and now - last[1] < settings.AUDIT_ANCHOR_SECONDS:
        return
    _last_anchor[chain] = (seq, now)  # scheduled: later events of this transaction skip it

    def anchor_now():
        try:
            checkpoint_chain(chain)
        except Exception:
            logger.exception("could not anchor audit chain %s", chain)
            if getattr(settings, "AUDIT_RAISE_ERRORS", False):
                raise

    transaction.on_commit(anchor_now)


def audit_restore_record(*, record_event) -> list[dict]:
    """Record that the database was restored from a backup: for every chain the anchor store
    knows, a signed ``restore`` record moves its expected end back to the head the database
    holds now (seq 0 for a chain the backup predates). ``record_event`` then writes the audited
    restore event, which is anchored like any other. Without this, verification reads the
    older backup as a truncation, as it should."""
    store = anchor_store()
    if store is None:
        raise RuntimeError("AUDIT_ANCHOR_URL is not set: there are no anchors to reconcile")
    heads = {head.chain: head for head in AuditChainHead.objects.all()}
    written = []
    for entry in store.manifest():
        head = heads.get(entry.chain)
        seq, head_hash = (head.last_seq, head.last_hash) if head else (0, "")
        last = store.last_record(entry.chain)
        if last is not None and last.seq <= seq:
            continue  # the restored database is not behind this chain's anchors
        exists = AuditEvent.objects.filter(chain=entry.chain, seq=seq, hash=head_hash).exists()
        if head and seq and not exists:
            raise RuntimeError(f"chain {entry.chain}: the head row disagrees with its events")
        record = _append(
            store,
            chain=entry.chain,
            tenant_id=entry.data.get("tenant_id"),
            seq=seq,
            head_hash=head_hash,
            kind=RESTORE,
        )
        written.append(record)
    record_event(chains=len(written))
    return written
