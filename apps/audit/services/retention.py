"""The audit log's own retention: deleting whole anchored periods, the deletion itself signed,
anchored and audited.

``audit_prune_chain(chain, before=...)`` deletes a chain's oldest events up to the newest
anchored position whose event is older than ``before`` (a checkpoint the anchor store holds
with the same hash), never the newest event and never a period that is not anchored. Before
deleting anything it verifies the chain against its anchors: retention must not wash away
evidence of tampering. Then, in one transaction under the chain's head lock:

1. the events ``1..seq`` are deleted (the append-only trigger lets a DELETE through only in a
   transaction that set ``audit.retention_prune``);
2. a signed ``AuditPrune`` row records ``seq``, the hash there, the count and the cutoff;
3. the same is appended to the anchor store as a signed ``prune`` record (linked like the
   anchors), so the store, which the database cannot rewrite, knows the chain's new start;
4. an ``audit.retention.prune`` event is appended to the chain (anchored like any event).

``audit_verify`` starts the chain past the newest signed prune; deleting old events any other
way still reads as removed events (``apps.audit.prunes``).
"""

from __future__ import annotations

import logging

from django.db import connection, transaction
from django.utils import timezone

from apps.audit.anchors.records import PRUNE
from apps.audit.anchors.store import anchor_store
from apps.audit.models import AuditChainHead, AuditCheckpoint, AuditEvent, AuditPrune
from apps.audit.prunes import chain_start, prune_sign
from apps.audit.verification import audit_chain_problems

from .anchoring import _append
from .events import audit_event_record

logger = logging.getLogger("apps.audit.services")


class AuditRetentionRefused(RuntimeError):
    """The chain cannot be pruned now (no anchor store, or it does not verify)."""


def _prunable_seq(chain: str, *, before, after: int, anchored: dict) -> int:
    """The newest checkpointed and anchored seq past ``after`` whose event is older than
    ``before`` and is not the chain's newest (0: none)."""
    newest = AuditEvent.objects.filter(chain=chain).order_by("-seq").values_list("seq").first()
    candidates = (
        AuditCheckpoint.objects.filter(chain=chain, seq__gt=after)
        .order_by("-seq")
        .values_list("seq", "head_hash")
    )
    for seq, head_hash in candidates:
        if newest is None or seq >= newest[0] or anchored.get(seq, ("",))[0] != head_hash:
            continue
        event = AuditEvent.objects.filter(chain=chain, seq=seq, hash=head_hash).first()
        if event is not None and event.created_at < before:
            return seq
    return 0


def audit_prune_chain(chain: str, *, before) -> AuditPrune | None:
    """Delete ``chain``'s anchored periods older than ``before`` (module docstring); the
    signed record, or None when nothing is old enough. ``AuditRetentionRefused`` without an
    anchor store or when the chain does not verify."""
    store = anchor_store()
    if store is None:
        raise AuditRetentionRefused(
            "the audit log's retention needs an anchor store (AUDIT_ANCHOR_URL): only anchored "
            "periods may be deleted"
        )
    problems, anchors = audit_chain_problems(chain, store)
    if problems:
        raise AuditRetentionRefused(
            f"chain {chain} does not verify ({problems[0].kind} at seq {problems[0].seq}): "
            "nothing deleted"
        )
    anchored = anchors.anchored if anchors is not None else {}
    with transaction.atomic():
        head = AuditChainHead.objects.select_for_update().filter(chain=chain).first()
        if head is None:
            return None
        start = chain_start(chain, anchors)
        seq = _prunable_seq(chain, before=before, after=start.seq, anchored=anchored)
        if not seq:
            return None
        head_hash = AuditEvent.objects.filter(chain=chain, seq=seq).values_list("hash").get()[0]
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute("SET LOCAL audit.retention_prune = 'on'")
            cursor.execute(
                f"DELETE FROM {AuditEvent._meta.db_table} WHERE chain = %s AND seq <= %s",
                [chain, seq],
            )
            deleted = cursor.rowcount
            if connection.vendor == "postgresql":
                cursor.execute("SET LOCAL audit.retention_prune = 'off'")
        prune = AuditPrune(
            chain=chain,
            tenant_id=head.tenant_id,
            seq=seq,
            head_hash=head_hash,
            deleted=deleted,
            before=before,
            created_at=timezone.now(),
        )
        prune_sign(prune)
        prune.save()
        _append(
            store, chain=chain, tenant_id=head.tenant_id, seq=seq, head_hash=head_hash, kind=PRUNE
        )
        audit_event_record(
            tenant=head.tenant,
            action="audit.retention.prune",
            resource_type="audit.chain",
            resource_id=chain,
            row_count=deleted,
            details={"through_seq": seq, "head_hash": head_hash, "before": before.isoformat()},
        )
    logger.info("audit retention: chain %s pruned through seq %s (%s events)", chain, seq, deleted)
    return prune
