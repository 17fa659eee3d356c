"""Comparing one chain in the database with what the anchor store recorded of it.

Called by the chain verifier (``apps.audit.verification``) once it has walked the chain: the
database must reach the newest anchored position, hold the anchored hash at every anchored
position, and have anchors for every event older than AUDIT_ANCHOR_MAX_LAG_SECONDS.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from apps.audit.models import AuditEvent

from .checks import ChainAnchors

CHAIN_ERASED = "chain_erased"
ANCHOR_TRUNCATED = "truncated"
ANCHOR_MISMATCH = "anchor_mismatch"
UNANCHORED = "unanchored"


def anchored_seqs(anchors: ChainAnchors | None) -> set[int]:
    """The positions whose stored hash the verifier must keep while walking the chain."""
    return set(anchors.anchored) if anchors else set()


def compare_chain(
    *,
    chain: str,
    anchors: ChainAnchors,
    events_seen: int,
    last_seq: int,
    stored_hash_by_seq: dict[int, str],
    head_exists: bool,
) -> list[tuple[str, int | None, str]]:
    """Problems as ``(kind, seq, message)``; each message names the last anchored seq."""
    problems = []
    last = anchors.last
    if last is not None:
        seq, head_hash, record = last
        said = f"the anchor store recorded seq {seq} (hash {head_hash}) at {record.time}"
        if events_seen == 0 and not head_exists:
            problems.append(
                (
                    CHAIN_ERASED,
                    seq,
                    f"the database holds no event of chain {chain}, but {said}: the chain "
                    "was erased",
                )
            )
            return problems
        if last_seq < seq:
            problems.append(
                (
                    ANCHOR_TRUNCATED,
                    seq,
                    f"the chain ends at seq {last_seq}, but {said}: events "
                    f"{last_seq + 1}..{seq} were removed",
                )
            )
    for seq in sorted(anchors.anchored):
        head_hash, record = anchors.anchored[seq]
        stored = stored_hash_by_seq.get(seq)
        if stored is not None and stored != head_hash:
            problems.append(
                (
                    ANCHOR_MISMATCH,
                    seq,
                    f"the anchor store recorded hash {head_hash} at seq {seq} ({record.time}, "
                    f"{record.where}); the chain holds {stored}: history was rewritten",
                )
            )
            break  # later anchors repeat the same divergence
    late = _oldest_unanchored(chain, after=last[0] if last else 0)
    if late is not None:
        problems.append(
            (
                UNANCHORED,
                late["seq"],
                f"event seq {late['seq']} ({late['created_at'].isoformat()}) and later are not "
                f"covered by any anchor though older than "
                f"{settings.AUDIT_ANCHOR_MAX_LAG_SECONDS} s; last anchored seq "
                f"{last[0] if last else 'none'}: anchoring stopped or anchors were deleted",
            )
        )
    return problems


def _oldest_unanchored(chain: str, *, after: int):
    cutoff = timezone.now() - timedelta(seconds=settings.AUDIT_ANCHOR_MAX_LAG_SECONDS)
    return (
        AuditEvent.objects.filter(chain=chain, seq__gt=after, created_at__lt=cutoff)
        .order_by("seq")
        .values("seq", "created_at")
        .first()
    )
