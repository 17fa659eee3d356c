"""Where a chain starts after the audit log's own retention deleted its oldest periods.

A prune is trusted only when signed (Ed25519, a trusted key id): the ``AuditPrune`` row in the
database or the ``prune`` record in the anchor store. The verifier starts the chain after the
newest trusted prune (its first event must link to the prune's ``head_hash``); a prune row that
does not verify is reported as forged and ignored, so deleting the oldest events without a
signed prune still reads as removed events.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from apps.audit.hashing import iso_timestamp
from apps.audit.models import AuditPrune
from apps.audit.signing import sign, signature_valid

PRUNE_FORGED = "prune_forged"


def prune_payload(prune: AuditPrune) -> dict:
    """What a prune's signature covers."""
    return {
        "type": "audit-prune",
        "v": 1,
        "chain": prune.chain,
        "tenant_id": str(prune.tenant_id) if prune.tenant_id else None,
        "seq": prune.seq,
        "head_hash": prune.head_hash,
        "deleted": prune.deleted,
        "before": iso_timestamp(prune.before),
        "created_at": iso_timestamp(prune.created_at),
    }


def prune_sign(prune: AuditPrune) -> None:
    """Set ``prune.key_id`` and ``signature``."""
    prune.key_id, prune.signature = sign(prune_payload(prune))


def prune_signature_valid(prune: AuditPrune) -> bool:
    return signature_valid(prune_payload(prune), key_id=prune.key_id, signature=prune.signature)


@dataclass
class ChainStart:
    """The position the chain's remaining events continue from (0 and genesis: unpruned)."""

    seq: int = 0
    head_hash: str = ""
    problems: list[tuple[str, int, str]] = field(default_factory=list)


def chain_start(chain: str, anchors=None) -> ChainStart:
    """The newest trusted prune of ``chain`` (database rows and the anchor store's records,
    ``anchors`` being the store's ``ChainAnchors`` or None)."""
    start = ChainStart()
    trusted: list[tuple[int, str]] = []
    for prune in AuditPrune.objects.filter(chain=chain).order_by("seq"):
        if prune_signature_valid(prune):
            trusted.append((prune.seq, prune.head_hash))
        else:
            start.problems.append(
                (
                    PRUNE_FORGED,
                    prune.seq,
                    f"retention record {prune.pk} (events 1..{prune.seq} deleted) has an invalid "
                    "signature: an unauthorised deletion made to look like retention",
                )
            )
    if anchors is not None:
        trusted += [(record.seq, record.head_hash) for record in anchors.pruned]
    if trusted:
        start.seq, start.head_hash = max(trusted)
    return start
