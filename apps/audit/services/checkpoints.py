"""Signing checkpoints of the chains' heads (Ed25519), each also written to the anchor store."""

from __future__ import annotations

import logging

from django.db import IntegrityError, transaction
from django.utils import timezone

from apps.audit.models import AuditChainHead, AuditCheckpoint, AuditEvent, chain_key
from apps.audit.signing import checkpoint_sign

from .anchoring import audit_anchor_checkpoints

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
    audit_anchor_checkpoints(created)
    return created


def audit_checkpoint_chain(chain: str) -> AuditCheckpoint | None:
    """Sign and anchor the head of one chain (by key) if it grew: the inline anchoring that
    ``audit_event_record`` schedules every AUDIT_ANCHOR_EVERY_EVENTS events."""
    head = AuditChainHead.objects.filter(chain=chain, last_seq__gt=0).first()
    checkpoint = _checkpoint_head(head) if head is not None else None
    if checkpoint is not None:
        audit_anchor_checkpoints([checkpoint])
    return checkpoint


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
    checkpoint_sign(checkpoint)
    try:
        with transaction.atomic():
            checkpoint.save()
    except IntegrityError:  # a concurrent run signed the same head first
        return None
    return checkpoint
