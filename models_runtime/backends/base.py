"""What every backend takes and gives back, and the interface the batcher drives."""

from __future__ import annotations

import abc
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from models_runtime.errors import InvalidInput
from models_runtime.specs import ModelSpec

ROLES = ("system", "user", "assistant", "tool")


@dataclass(frozen=True)
class ChatRequest:
    """One chat completion. ``temperature`` 0 is greedy; ``stop`` strings end the answer early and
    are not part of it. ``max_new_tokens`` None means the model's cap.

    ``on_text`` streams the answer: a backend that supports it calls ``on_text(delta)`` on its
    batch thread with each new piece of the answer while the batch runs, and the pieces put
    together equal the final ``ChatResult.text`` exactly (see ``streaming``). It is an
    in-process callable only: it takes no part in equality, hashing or repr, is never serialised
    (a request crossing a process boundary, e.g. a Celery task, carries a channel name instead and
    the worker attaches the callback with ``dataclasses.replace``), and ``dataclasses.asdict``
    must not be used to serialise a request that holds one. Backends without streaming ignore it.
    """

    messages: tuple[Mapping[str, str], ...]
    max_new_tokens: int | None = None
    temperature: float = 0.0
    top_p: float = 1.0
    stop: tuple[str, ...] = ()
    seed: int | None = None
    # Generate exactly max_new_tokens: the end-of-turn token is banned until then (benchmarks).
    ignore_eos: bool = False
    on_text: Callable[[str], None] | None = field(
        default=None, compare=False, hash=False, repr=False
    )
    # A LoRA adapter (models_runtime.adapters.AdapterRef) applied to this request only; the
    # worker resolves it from the tenant and the adapter's name. The batcher groups requests by
    # ``adapter_key``, so one batch runs with one adapter (or none).
    adapter: Any = field(default=None, compare=False, hash=False, repr=False)

    @property
    def adapter_key(self) -> str | None:
        return self.adapter.key if self.adapter is not None else None

    @classmethod
    def from_prompt(cls, prompt: str, **params: Any) -> ChatRequest:
        return cls(messages=({"role": "user", "content": prompt},), **params)

    @classmethod
    def build(cls, messages: Sequence[Mapping[str, str]] | str, **params: Any) -> ChatRequest:
        """Accept a prompt string or a list of {"role", "content"} dicts; lists become tuples,
        and ``stop`` may be one string, a list of them or None."""
        if "stop" in params:
            stop = params["stop"]
            params["stop"] = (
                () if stop is None else (stop,) if isinstance(stop, str) else tuple(stop)
            )
        if isinstance(messages, str):
            return cls.from_prompt(messages, **params)
        if not isinstance(messages, Sequence):
            raise InvalidInput("messages must be a prompt string or a list of {role, content}")
        return cls(
            messages=tuple(dict(m) if isinstance(m, Mapping) else m for m in messages), **params
        )


@dataclass(frozen=True)
class ChatResult:
    text: str
    reasoning: str | None
    tokens_in: int
    tokens_out: int
    finish_reason: str  # "stop" (end of turn or a stop string) or "length"
    # Seconds from the start of the request's batch (or its admission to a running batch) to
    # its first and its last generated token: time to first token and inter-token latency.
    # Timings, not part of the answer: results compare equal without them.
    first_token_s: float | None = field(default=None, compare=False)
    last_token_s: float | None = field(default=None, compare=False)


@dataclass(frozen=True)
class EmbedResult:
    vector: list[float]
    tokens_in: int


@dataclass(frozen=True)
class ClassifyResult:
    labels: list[tuple[str, float]]  # every label with its score, best first
    tokens_in: int


@dataclass(frozen=True)
class TokenClassifyResult:
    entities: list[dict]  # {"label", "score", "start", "end", "text"}
    tokens_in: int


@dataclass
class Backend(abc.ABC):
    """A loaded model. ``run_batch`` is called from one thread (the model's batcher) at a time."""

    spec: ModelSpec
    device: str = "cpu"
    dtype: str = "float32"
    revision: str = ""
    details: dict = field(default_factory=dict)

    @abc.abstractmethod
    def count_tokens(self, payload: Any) -> int:
        """Tokens the payload's input takes, counted with the model's own tokenizer."""

    @abc.abstractmethod
    def run_batch(self, payloads: Sequence[Any]) -> list[Any]:
        """Results in the order of ``payloads``; raising fails the whole batch."""

    def validate(self, payload: Any) -> None:
        """Refuse a payload before it is queued: ``InvalidInput`` with a message for the caller."""
        count = self.count_tokens(payload)
        if count > self.spec.max_input_tokens:
            raise InvalidInput(
                f"input is {count} tokens; model {self.spec.name!r} accepts at most "
                f"{self.spec.max_input_tokens}"
            )

    def close(self) -> None:  # noqa: B027 - optional hook; most backends hold nothing to free
        """Free what the backend holds (threads, connections)."""

    def group_key(self, payload: Any):
        """Requests with different keys never share a batch (chat: the LoRA adapter)."""
        return None


def require_text(text: Any, what: str = "text") -> str:
    if not isinstance(text, str):
        raise InvalidInput(f"{what} must be a string, got {type(text).__name__}")
    if not text.strip():
        raise InvalidInput(f"{what} is empty")
    return text


def validate_chat_request(request: Any, spec: ModelSpec, *, adapters: bool = False) -> ChatRequest:
    if not isinstance(request, ChatRequest):
        raise InvalidInput(f"a chat model takes a ChatRequest, got {type(request).__name__}")
    if request.adapter is not None and not adapters:
        raise InvalidInput(f"model {spec.name!r} does not serve LoRA adapters")
    if not request.messages:
        raise InvalidInput("messages is empty")
    for i, message in enumerate(request.messages):
        if not isinstance(message, Mapping) or message.get("role") not in ROLES:
            raise InvalidInput(f"messages[{i}] needs a role, one of {', '.join(ROLES)}")
        if not isinstance(message.get("content"), str):
            raise InvalidInput(f"messages[{i}].content must be a string")
    if not any(m["content"].strip() for m in request.messages):
        raise InvalidInput("messages hold no text")
    limit = request.max_new_tokens
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or limit < 1):
        raise InvalidInput(f"max_new_tokens must be a whole number >= 1, got {limit!r}")
    if limit is not None and limit > spec.max_new_tokens:
        raise InvalidInput(
            f"max_new_tokens {limit} exceeds model {spec.name!r}'s cap of {spec.max_new_tokens}"
        )
    if not isinstance(request.temperature, (int, float)) or not 0 <= request.temperature <= 5:
        raise InvalidInput(f"temperature must be between 0 and 5, got {request.temperature!r}")
    if not isinstance(request.top_p, (int, float)) or not 0 < request.top_p <= 1:
        raise InvalidInput(f"top_p must be in (0, 1], got {request.top_p!r}")
    stops = request.stop
    if (
        not isinstance(stops, tuple)
        or len(stops) > 8
        or any(not isinstance(s, str) or not s for s in stops)
    ):
        raise InvalidInput("stop must be at most 8 non-empty strings")
    return request


def new_tokens_for(request: ChatRequest, spec: ModelSpec) -> int:
    return request.max_new_tokens or spec.max_new_tokens
