"""Re-computing the audit chains and checking them against their heads and signed checkpoints.

For each chain, walking its events in ``seq`` order, the verifier tells apart:

- ``altered``: an event's content no longer hashes to its stored ``hash``;
- ``removed``: a gap in ``seq``, or an event whose ``prev_hash`` matches no event of the chain
  (the event it linked to is gone, or was rewritten along with its hash);
- ``inserted``: an event sits where its successor does not link to it: the successor's
  ``prev_hash`` is the hash of an event further back, so the ones in between were forged in
  (``seq`` is not hashed: it is a position the verifier checks for contiguity);
- ``reordered``: an event's ``prev_hash`` is the hash of an event that comes later;
- ``truncated``: the chain ends before its head row's ``seq`` or before a signed checkpoint's;
- ``head_mismatch`` / ``checkpoint_mismatch``: the head row or a checkpoint names another hash
  at that position than the chain holds (history rewritten and re-hashed);
- ``checkpoint_forged``: a checkpoint's signature does not verify under a trusted key;
- ``prune_forged``: a retention record (``AuditPrune``) does not verify: the chain's oldest
  events were deleted without the log's own retention (a signed prune, ``apps.audit.prunes``;
  the chain starts past the newest trusted one).

With an anchor store (``AUDIT_ANCHOR_URL``) the database is also held against the anchors kept
outside it (``apps.audit.anchors``): ``chain_erased`` (a chain of the manifest is gone),
``truncated`` (shorter than anchored), ``anchor_mismatch`` (diverges from an anchored hash),
``unanchored`` (events older than the allowed lag with no anchor), and the store's own
``anchor_forged`` / ``anchor_broken`` / ``anchor_missing`` / ``manifest_missing``.

Once one link of a chain is broken, later link errors are mostly its echoes, so only the first
link problem per chain is reported; content (hash) checks go on for every event.
"""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Callable

from .anchors.base import AnchorStore
from .anchors.checks import AnchorReport, anchors_check
from .anchors.compare import anchored_seqs, compare_chain
from .anchors.store import anchor_store
from .hashing import event_hash
from .models import (
    GENESIS_HASH,
    PLATFORM_CHAIN,
    AuditChainHead,
    AuditCheckpoint,
    AuditEvent,
    chain_key,
)
from .prunes import chain_start
from .signing import checkpoint_signature_valid
from .verification_result import (
    ALTERED,
    CHECKPOINT_FORGED,
    CHECKPOINT_MISMATCH,
    HEAD_MISMATCH,
    INSERTED,
    REMOVED,
    REORDERED,
    TRUNCATED,
    ChainProblem,
    VerificationResult,
)

ProgressCallback = Callable[[int, int], None]

__all__ = [
    "ALTERED",
    "CHECKPOINT_FORGED",
    "CHECKPOINT_MISMATCH",
    "HEAD_MISMATCH",
    "INSERTED",
    "REMOVED",
    "REORDERED",
    "TRUNCATED",
    "ChainProblem",
    "VerificationResult",
    "audit_anchors_verify",
    "audit_chains_verify",
]

PROGRESS_EVERY = 1000
# What the verifier reads of each event: everything ``event_hash`` hashes, plus seq and hash.
_EventRow = namedtuple(
    "_EventRow",
    [f.attname for f in AuditEvent._meta.concrete_fields],
)
_CHUNK = 2000


_SETTINGS_STORE = object()


def audit_chains_verify(
    *,
    tenant=None,
    progress: ProgressCallback | None = None,
    store: AnchorStore | None = _SETTINGS_STORE,
) -> VerificationResult:
    """Verify every chain (the platform's and each tenant's), or only ``tenant``'s, against
    its head, its checkpoints and the anchor store (``store``; AUDIT_ANCHOR_URL's by default,
    None for none). Without ``tenant`` every chain the anchor store's manifest names is
    verified too, so a chain missing from the database is reported.

    ``progress(done, total)`` is called every few thousand events and at the end, with events
    as the unit, so a background job can report how far it got.
    """
    if store is _SETTINGS_STORE:
        store = anchor_store()
    if tenant is not None:
        keys = [chain_key(tenant.pk)]
    else:
        keys = set(AuditEvent.objects.values_list("chain", flat=True).distinct())
        keys |= set(AuditChainHead.objects.values_list("chain", flat=True))
        keys |= set(AuditCheckpoint.objects.values_list("chain", flat=True).distinct())
    report = anchors_check(store, chains=keys if tenant is not None else None) if store else None
    if report is not None:
        keys = set(keys) | set(report.chains)
    keys = sorted(keys, key=lambda key: (key != PLATFORM_CHAIN, key))
    events = AuditEvent.objects.filter(chain__in=keys)
    total = events.count()
    result = VerificationResult(chains=len(keys))
    tick = _Progress(progress, total)
    if progress:
        progress(0, total)
    if report is not None:
        _store_problems(report, result)
    for key in keys:
        anchors = report.chains.get(key) if report is not None else None
        _ChainVerifier(key, result, tick, anchors).run()
    tick.finish()
    return result


def audit_chain_problems(key: str, store: AnchorStore | None):
    """One chain verified against ``store``: ``(problems, the store's ChainAnchors or None)``
    (the audit log's retention checks a chain before deleting any of it)."""
    report = anchors_check(store, chains=[key]) if store else None
    anchors = report.chains.get(key) if report is not None else None
    result = VerificationResult(chains=1)
    if report is not None:
        _store_problems(report, result)
    _ChainVerifier(key, result, _Progress(None, 0), anchors).run()
    return result.problems, anchors


def audit_anchors_verify(store: AnchorStore) -> VerificationResult:
    """``audit_verify --anchors-only``: the anchor store's own continuity, no database."""
    report = anchors_check(store)
    result = VerificationResult(chains=len(report.chains), checkpoints=report.records)
    _store_problems(report, result)
    return result


def _store_problems(report: AnchorReport, result: VerificationResult) -> None:
    for kind, chain, seq, message in report.problems:
        result.problems.append(ChainProblem(kind, chain, seq, None, message))


class _Progress:
    def __init__(self, callback: ProgressCallback | None, total: int):
        self.callback = callback
        self.total = total
        self.done = 0

    def step(self) -> None:
        self.done += 1
        if self.callback and self.done % PROGRESS_EVERY == 0:
            self.callback(self.done, self.total)

    def finish(self) -> None:
        self.total = max(self.total, self.done)  # events appended since the count
        if self.callback:
            self.callback(self.done, self.total)


class _ChainVerifier:
    def __init__(self, key: str, result: VerificationResult, progress: _Progress, anchors=None):
        self.key = key
        self.anchors = anchors
        self.events_seen = 0
        self.result = result
        self.progress = progress
        self.problems: list[ChainProblem] = []
        self.link_broken = False
        # After the log's own retention the chain starts past its newest signed prune.
        self.start = chain_start(key, anchors)
        self.last_seq = self.start.seq
        self.last_hash = self.start.head_hash or GENESIS_HASH
        self.last_id: str | None = None
        # Writers may append while we verify. The checkpoints are read first, then the head row,
        # and only events up to that head are walked: every checkpoint then lies within the
        # snapshot, and events appended meanwhile are not mistaken for anything.
        self.checkpoints = list(AuditCheckpoint.objects.filter(chain=key).order_by("seq"))
        self.head = AuditChainHead.objects.filter(chain=key).first()
        # Stored hashes are kept only at the positions checkpoints name: memory stays flat.
        self.checkpoint_seqs = {checkpoint.seq for checkpoint in self.checkpoints}
        self.checkpoint_seqs |= anchored_seqs(anchors)
        self.stored_hash_by_seq: dict[int, str] = {}

    def problem(self, kind: str, seq, event_id, message: str) -> None:
        self.problems.append(
            ChainProblem(kind, self.key, seq, str(event_id) if event_id else None, message)
        )

    def run(self) -> None:
        for kind, seq, message in self.start.problems:
            self.problem(kind, seq, None, message)
        events = AuditEvent.objects.filter(chain=self.key, seq__gt=self.start.seq).order_by("seq")
        if self.head is not None:
            events = events.filter(seq__lte=self.head.last_seq)
        # Plain rows, not model instances: building a model costs as much as hashing it.
        rows = events.values_list(*_EventRow._fields).iterator(chunk_size=_CHUNK)
        for event in map(_EventRow._make, rows):
            self.check_event(event)
            self.events_seen += 1
            self.result.events += 1
            self.progress.step()
        self.check_head()
        self.check_checkpoints()
        if self.anchors is not None:
            for kind, seq, message in compare_chain(
                chain=self.key,
                anchors=self.anchors,
                events_seen=self.events_seen,
                last_seq=self.last_seq,
                stored_hash_by_seq=self.stored_hash_by_seq,
                head_exists=self.head is not None,
            ):
                self.problem(kind, seq, None, message)
        self.problems.sort(key=lambda p: p.seq if p.seq is not None else 0)
        self.result.problems.extend(self.problems)

    # ------------------------------------------------------------------ one event
    def check_event(self, event: AuditEvent) -> None:
        if event_hash(event) != event.hash:
            self.problem(
                ALTERED, event.seq, event.id, "its content does not match its hash (altered)"
            )
        if not self.link_broken:
            self.check_link(event)
        self.last_seq = event.seq
        self.last_hash = event.hash
        self.last_id = event.id
        if event.seq in self.checkpoint_seqs:
            self.stored_hash_by_seq[event.seq] = event.hash

    def check_link(self, event: AuditEvent) -> None:
        expected_seq = self.last_seq + 1
        if event.seq != expected_seq:
            missing = (
                f"seq {expected_seq}"
                if event.seq == expected_seq + 1
                else f"seq {expected_seq}..{event.seq - 1}"
            )
            self.break_link(
                REMOVED,
                expected_seq,
                None,
                f"event(s) at {missing} removed; the next event present is seq {event.seq} "
                f"(id {event.id}), which links to hash {event.prev_hash}",
            )
            return
        if event.prev_hash == self.last_hash:
            return
        if event.prev_hash == GENESIS_HASH:
            linked = {"seq": 0, "id": "(chain start)"}  # links to the start, past events before it
        else:
            linked = (
                AuditEvent.objects.filter(chain=self.key, hash=event.prev_hash)
                .values("seq", "id")
                .first()
            )
        if linked is None:
            before = f"seq {self.last_seq} (id {self.last_id})" if self.last_id else "the start"
            self.break_link(
                REMOVED,
                event.seq,
                event.id,
                f"links to hash {event.prev_hash}, which no event of the chain has: the event "
                f"before it was removed, or {before} was rewritten with a new hash",
            )
        elif linked["seq"] > event.seq:
            self.break_link(
                REORDERED,
                event.seq,
                event.id,
                f"links to seq {linked['seq']} (id {linked['id']}), which comes after it: "
                "events were reordered",
            )
        else:
            first_forged = (
                AuditEvent.objects.filter(chain=self.key, seq__gt=linked["seq"])
                .order_by("seq")
                .values("seq", "id")
                .first()
            )
            self.break_link(
                INSERTED,
                first_forged["seq"],
                first_forged["id"],
                f"not part of the chain: its successor seq {event.seq} (id {event.id}) links "
                f"past it to seq {linked['seq']} (id {linked['id']})",
            )

    def break_link(self, kind, seq, event_id, message) -> None:
        self.link_broken = True
        self.problem(kind, seq, event_id, message)

    # ------------------------------------------------------------------ the end of the chain
    def check_head(self) -> None:
        head = self.head
        if head is None:
            if self.last_seq:
                self.problem(
                    HEAD_MISMATCH, self.last_seq, self.last_id, "the chain's head row is missing"
                )
            return
        if head.last_seq > self.last_seq:
            self.problem(
                TRUNCATED,
                head.last_seq,
                None,
                f"the chain ends at seq {self.last_seq} but its head records seq "
                f"{head.last_seq} (hash {head.last_hash}): the newest events were removed",
            )
        elif head.last_hash != self.last_hash:
            self.problem(
                HEAD_MISMATCH,
                self.last_seq,
                self.last_id,
                f"the head row records hash {head.last_hash} at seq {head.last_seq}, the chain "
                f"holds {self.last_hash}",
            )
        self.check_beyond_head()

    def check_beyond_head(self) -> None:
        """Events past the snapshot's head were appended since, unless even the head as it is
        now does not reach them: then they were added without going through the head."""
        beyond = (
            AuditEvent.objects.filter(chain=self.key, seq__gt=self.head.last_seq)
            .order_by("-seq")
            .values("seq", "id")
            .first()
        )
        if beyond is None:
            return
        now = AuditChainHead.objects.filter(chain=self.key).values_list("last_seq", flat=True)
        head_now = now.first() or 0
        if beyond["seq"] > head_now:
            self.problem(
                HEAD_MISMATCH,
                head_now + 1,
                None,
                f"events up to seq {beyond['seq']} (id {beyond['id']}) lie beyond the head row "
                f"(seq {head_now}): appended without it, or the head was moved back",
            )

    def check_checkpoints(self) -> None:
        for checkpoint in self.checkpoints:
            self.result.checkpoints += 1
            if not checkpoint_signature_valid(checkpoint):
                self.problem(
                    CHECKPOINT_FORGED,
                    checkpoint.seq,
                    None,
                    f"checkpoint {checkpoint.pk} has an invalid signature (forged or altered)",
                )
                continue
            if checkpoint.seq > self.last_seq:
                self.problem(
                    TRUNCATED,
                    checkpoint.seq,
                    None,
                    f"the chain ends at seq {self.last_seq} before signed checkpoint "
                    f"{checkpoint.pk} at seq {checkpoint.seq} (hash {checkpoint.head_hash}): "
                    "the newest events were removed",
                )
                continue
            stored = self.stored_hash_by_seq.get(checkpoint.seq)
            if stored is None:
                continue  # a gap at this position: already reported as removed
            if stored != checkpoint.head_hash:
                event_id = (
                    AuditEvent.objects.filter(chain=self.key, seq=checkpoint.seq)
                    .values_list("id", flat=True)
                    .first()
                )
                self.problem(
                    CHECKPOINT_MISMATCH,
                    checkpoint.seq,
                    event_id,
                    f"signed checkpoint {checkpoint.pk} names hash {checkpoint.head_hash} "
                    f"at this position, the chain holds {stored}: history was rewritten",
                )
