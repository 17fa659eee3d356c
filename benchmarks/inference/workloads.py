"""What each workload sends, and how long each measure runs (full and ``--smoke``).

Every request carries inputs no earlier request carried (a run nonce and a counter in the text),
so no cache can answer it; the raw path computes the very same inputs.
"""

from __future__ import annotations

import dataclasses
import random
from dataclasses import dataclass, field

SUBJECTS = (
    "cat dog ship king robot tree river baker pilot city storm garden train wizard doctor farmer"
).split()

CHAT_PATH = "/api/v1/inference/chat"
EMBED_PATH = "/api/v1/inference/embed"


@dataclass(frozen=True)
class Workload:
    """One load shape: ``clients`` concurrent callers, each sending ``texts_per_request`` inputs."""

    name: str
    model: str  # the platform's model name ("chat" or "embed")
    path: str
    clients: int
    texts_per_request: int = 1
    unit: str = "texts"

    @property
    def is_chat(self) -> bool:
        return self.path == CHAT_PATH

    @property
    def raw_batch_size(self) -> int:
        """A raw batch holds one input per client, or one request's texts when a request
        carries many (embed_batched: 64)."""
        return self.clients if self.texts_per_request == 1 else self.texts_per_request


WORKLOADS = (
    Workload("chat", "chat", CHAT_PATH, clients=16, unit="tokens"),
    Workload("embed", "embed", EMBED_PATH, clients=32),
    Workload("embed_batched", "embed", EMBED_PATH, clients=8, texts_per_request=64),
)


ARRIVALS = "chat_arrivals"


@dataclass(frozen=True)
class Rounds:
    """Rounds per measure for one workload; warm-up rounds run first and are not counted."""

    raw: int
    platform: int
    naive: int  # 0: not measured
    platform_warmup: int = 1


@dataclass(frozen=True)
class Plan:
    name: str
    new_tokens: int
    rounds: dict[str, Rounds] = field(default_factory=dict)
    # Clients in a warm-up; None: all of the workload's with batching, 2 without.
    warmup_clients: int | None = None
    # chat_arrivals (arrivals.py): requests in the trace (0: not run) and their new tokens.
    arrivals: int = 0
    arrival_lengths: tuple[int, ...] = (16, 32, 64)

    def only(self, names: list[str]) -> Plan:
        known = [*self.rounds, ARRIVALS]
        unknown = sorted(set(names) - set(known))
        if unknown:
            raise ValueError(f"unknown workload(s) {', '.join(unknown)}; known: {', '.join(known)}")
        rounds = {n: r for n, r in self.rounds.items() if n in names}
        arrivals = self.arrivals if ARRIVALS in names else 0
        return dataclasses.replace(self, rounds=rounds, arrivals=arrivals)

    def scaled(self, factor: float) -> Plan:
        def scale(n: int) -> int:
            return max(1, round(n * factor)) if n else 0

        rounds = {
            name: dataclasses.replace(
                r, raw=scale(r.raw), platform=scale(r.platform), naive=scale(r.naive)
            )
            for name, r in self.rounds.items()
        }
        return dataclasses.replace(self, rounds=rounds, arrivals=scale(self.arrivals))


# About 20-40 s per measure on a 2-core machine (SmolLM2 ~60 tokens/s at batch 16 and ~14 at
# batch 1 on one torch thread; MiniLM ~135 texts/s at batch 32 or 64 and ~60 at batch 1).
# Raw rounds are split: half before the platform processes start, half after they stop.
FULL = Plan(
    "full",
    new_tokens=32,
    rounds={
        "chat": Rounds(raw=4, platform=4, naive=1),
        "embed": Rounds(raw=80, platform=60, naive=20, platform_warmup=3),
        "embed_batched": Rounds(raw=6, platform=6, naive=2),
    },
    arrivals=40,
)
# Seconds per measure: one round each. Chat generates 8 tokens so that the naive round (16
# requests one after another) stays short; warm-ups only load the models (one client);
# embed_batched (the embed model is warm by then) skips its warm-up and its naive measure.
SMOKE = Plan(
    "smoke",
    new_tokens=8,
    warmup_clients=1,
    rounds={
        "chat": Rounds(raw=1, platform=1, naive=1),
        "embed": Rounds(raw=1, platform=1, naive=1),
        "embed_batched": Rounds(raw=1, platform=1, naive=0, platform_warmup=0),
    },
    arrivals=6,
    arrival_lengths=(2, 4, 8),
)


class Inputs:
    """Distinct inputs: ``texts(workload, phase, round, client)`` is the same for every caller.

    ``phase`` separates warm-ups and measures; the nonce separates runs.
    """

    PHASES = ("raw-warmup", "raw", "platform-warmup", "platform", "naive-warmup", "naive")

    def __init__(self, nonce: int | None = None):
        self.nonce = random.randrange(10_000, 99_999) if nonce is None else nonce

    def _number(self, workload: Workload, phase: str, round_: int, client: int, i: int) -> int:
        sequence = (round_ * workload.clients + client) * workload.texts_per_request + i
        return self.PHASES.index(phase) * 10_000_000 + sequence

    def texts(self, workload: Workload, phase: str, round_: int, client: int) -> list[str]:
        """One request's inputs: a chat prompt (a one-item list) or the texts to embed."""
        numbers = [
            self._number(workload, phase, round_, client, i)
            for i in range(workload.texts_per_request)
        ]
        if workload.is_chat:
            subject = SUBJECTS[client % len(SUBJECTS)]
            return [f"Write a long story about a {subject}. Story {self.nonce}-{numbers[0]}."]
        return [
            f"Customer {self.nonce}-{n} asks how to cancel order number {1000 + n} "
            "placed last week."
            for n in numbers
        ]

    def raw_batches(self, workload: Workload, phase: str, round_: int) -> list[list[str]]:
        """Everything all clients send in one round, as raw batches of ``raw_batch_size``."""
        if workload.texts_per_request > 1:
            return [
                self.texts(workload, phase, round_, client) for client in range(workload.clients)
            ]
        return [
            [self.texts(workload, phase, round_, client)[0] for client in range(workload.clients)]
        ]
