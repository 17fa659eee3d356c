"""What a verification of the audit chains reports: the kinds of problem (described in
``apps.audit.verification``), one ``ChainProblem`` per finding and the ``VerificationResult``
that the ``audit_verify`` command prints and the verification job stores."""

from __future__ import annotations

from dataclasses import dataclass, field

ALTERED = "altered"
REMOVED = "removed"
INSERTED = "inserted"
REORDERED = "reordered"
TRUNCATED = "truncated"
HEAD_MISMATCH = "head_mismatch"
CHECKPOINT_MISMATCH = "checkpoint_mismatch"
CHECKPOINT_FORGED = "checkpoint_forged"


@dataclass(frozen=True)
class ChainProblem:
    """One thing wrong with a chain, at a position (``seq``) and, where known, an event."""

    kind: str
    chain: str
    seq: int | None
    event_id: str | None
    message: str

    def __str__(self) -> str:
        where = f"seq {self.seq}" if self.seq is not None else "chain"
        event = f", event {self.event_id}" if self.event_id else ""
        return f"{self.kind}: chain {self.chain} {where}{event}: {self.message}"

    def as_dict(self) -> dict:
        return {
            "kind": self.kind,
            "chain": self.chain,
            "seq": self.seq,
            "event_id": self.event_id,
            "message": self.message,
        }


@dataclass
class VerificationResult:
    """What ``audit_chains_verify`` found; ``problems`` in chain order, then position."""

    chains: int = 0
    events: int = 0
    checkpoints: int = 0
    problems: list[ChainProblem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def first_problem(self) -> ChainProblem | None:
        return self.problems[0] if self.problems else None

    def as_dict(self) -> dict:
        return {
            "ok": self.ok,
            "chains": self.chains,
            "events": self.events,
            "checkpoints": self.checkpoints,
            "problems": [problem.as_dict() for problem in self.problems],
        }
