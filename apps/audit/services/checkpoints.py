"""Signing checkpoints of the chains' heads."""

from __future__ import annotations

import logging

from django.db import IntegrityError, transaction
from django.utils import timezone

from apps.audit.hashing import checkpoint_signature
from apps.audit.models import AuditChainHead, AuditCheckpoint, AuditEvent, chain_key

logger = logging.getLogger("apps.audit.services")


def audit_checkpoint_create(*, tenant=None) -> list[AuditCheckpoint]:
    """Sign the head of every chain that grew since its last checkpoint (only ``tenant``'s
    chain when given). Idempotent: a head already signed is skipped.

    A head that disagrees with its chain (no event at its seq, another hash, or behind an
    earlier checkpoint) is not signed: that is tampering for ``audit_verify`` to report, and
    signing it would bless it.
    """
    heads = AuditChainHead.objects.filter(last_seq__gt=0)
    if tenant is not None:
        heads = heads.filter(chain=chain_key(tenant.pk))
    created = []
    for head in heads.iterator():
        checkpoint = _checkpoint_head(head)
        if checkpoint is not None:
            created.append(checkpoint)
    return created


def _checkpoint_head(head: AuditChainHead) -> AuditCheckpoint | None:
    last = AuditCheckpoint.objects.filter(chain=head.chain).order_by("-seq").first()
    if last is not None and last.seq >= head.last_seq:
        if last.seq > head.last_seq:
            logger.error("audit chain %s: head is behind checkpoint %s", head.chain, last.seq)
        return None
    event_hash_at_head = (
        AuditEvent.objects.filter(chain=head.chain, seq=head.last_seq)
        .values_list("hash", flat=True)
        .first()
    )
    if event_hash_at_head != head.last_hash:
        logger.error("audit chain %s: head row disagrees with the chain; not signed", head.chain)
        return None
    checkpoint = AuditCheckpoint(
        chain=head.chain,
        tenant_id=head.tenant_id,
        seq=head.last_seq,
        head_hash=head.last_hash,
        created_at=timezone.now(),
    )
    checkpoint.signature = checkpoint_signature(
        chain=checkpoint.chain,
        tenant_id=checkpoint.tenant_id,
        seq=checkpoint.seq,
        head_hash=checkpoint.head_hash,
        created_at=checkpoint.created_at,
    )
    try:
        with transaction.atomic():
            checkpoint.save()
    except IntegrityError:  # a concurrent run signed the same head first
        return None
    return checkpoint
