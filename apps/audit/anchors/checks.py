"""Checking the anchor store on its own: signatures, links, the manifest.

``anchors_check(store, chains=None)`` reads every chain's records (or only ``chains``') and
returns the problems found and, per chain, what the database must agree with: the anchored
positions that still hold (a signed ``restore`` record withdraws the anchors after its seq).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .base import AnchorStore
from .records import ANCHOR, MANIFEST, PRUNE, RESTORE, AnchorRecord
from .timestamps import timestamp_problem

ANCHOR_FORGED = "anchor_forged"
ANCHOR_BROKEN = "anchor_broken"
ANCHOR_MISSING = "anchor_missing"
MANIFEST_MISSING = "manifest_missing"
TIMESTAMP_INVALID = "timestamp_invalid"


@dataclass
class ChainAnchors:
    """What the store says about one chain."""

    chain: str
    manifest: AnchorRecord | None = None
    records: int = 0
    # seq -> (head_hash, record) of every anchor still in force.
    anchored: dict[int, tuple[str, AnchorRecord]] = field(default_factory=dict)
    restored: AnchorRecord | None = None  # the newest restore record, if any
    pruned: list[AnchorRecord] = field(default_factory=list)  # retention's prune records

    @property
    def last(self) -> tuple[int, str, AnchorRecord] | None:
        if not self.anchored:
            return None
        seq = max(self.anchored)
        return seq, self.anchored[seq][0], self.anchored[seq][1]


@dataclass
class AnchorReport:
    """``anchors_check``'s result: problems as (kind, chain, seq, message) and chains."""

    problems: list[tuple[str, str, int | None, str]] = field(default_factory=list)
    chains: dict[str, ChainAnchors] = field(default_factory=dict)
    records: int = 0

    def problem(self, kind: str, chain: str, seq, message: str) -> None:
        self.problems.append((kind, chain, seq, message))


def anchors_check(store: AnchorStore, chains: list[str] | None = None) -> AnchorReport:
    """Check the store's own continuity (see the module docstring)."""
    report = AnchorReport()
    manifest = {}
    for entry in store.manifest():
        report.records += 1
        if entry.kind != MANIFEST or not entry.signed():
            report.problem(
                ANCHOR_FORGED,
                entry.chain or "?",
                None,
                f"manifest entry {entry.where} is unreadable or its signature does not verify "
                "under a trusted key (rewritten or forged)",
            )
            continue
        manifest.setdefault(entry.chain, entry)
    wanted = sorted(set(manifest) | set(store.chains())) if chains is None else list(chains)
    for chain in wanted:
        report.chains[chain] = _check_chain(store, chain, manifest.get(chain), report)
    return report


def _check_chain(store, chain, entry, report) -> ChainAnchors:
    result = ChainAnchors(chain=chain, manifest=entry)
    previous: AnchorRecord | None = None
    for record in store.records(chain):
        report.records += 1
        result.records += 1
        where = f"chain {chain} anchor {record.where}"
        known = record.kind in (ANCHOR, RESTORE, PRUNE)
        if not known or record.chain != chain or not record.signed():
            report.problem(
                ANCHOR_FORGED,
                chain,
                record.seq or None,
                f"{where} is unreadable, misfiled or its signature does not verify under a "
                "trusted key (rewritten or forged)",
            )
            continue
        stamp = timestamp_problem(record.data)  # RFC 3161, when AUDIT_TSA_CERT is set
        if stamp:
            report.problem(TIMESTAMP_INVALID, chain, record.seq, f"{where} {stamp}")
        expected_prev = previous.hash if previous is not None else None
        if record.data.get("prev") != expected_prev:
            report.problem(
                ANCHOR_BROKEN,
                chain,
                record.seq,
                f"{where} does not link to the record before it "
                f"({previous.where if previous else 'none: it should be the first'}): anchor "
                "records were removed, reordered or inserted",
            )
        elif previous is not None and record.kind == ANCHOR and record.seq < previous.seq:
            report.problem(
                ANCHOR_BROKEN,
                chain,
                record.seq,
                f"{where} goes back from seq {previous.seq} to {record.seq} without a restore "
                "record",
            )
        if record.kind == PRUNE:
            result.pruned.append(record)
        elif record.kind == RESTORE:
            result.anchored = {s: v for s, v in result.anchored.items() if s <= record.seq}
            if record.seq:
                result.anchored[record.seq] = (record.head_hash, record)
            result.restored = record
        else:
            result.anchored[record.seq] = (record.head_hash, record)
        previous = record
    if entry is None and result.records:
        report.problem(
            MANIFEST_MISSING,
            chain,
            None,
            f"chain {chain} has anchor records but no entry in the manifest of chains",
        )
    if entry is not None:
        first = store.records(chain)[:1] if result.records else []
        if not first:
            report.problem(
                ANCHOR_MISSING,
                chain,
                entry.seq,
                f"chain {chain} is in the manifest (first anchored at seq {entry.seq} on "
                f"{entry.time}) but the store holds none of its anchor records: they were "
                "deleted",
            )
        elif first[0].hash != entry.data.get("first_anchor"):
            report.problem(
                ANCHOR_BROKEN,
                chain,
                first[0].seq,
                f"chain {chain}'s first anchor record is not the one its manifest entry names "
                f"(first anchored at seq {entry.seq} on {entry.time}): early anchors were "
                "removed or replaced",
            )
    return result
