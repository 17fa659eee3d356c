"""``InferenceRuntime``: the registry plus one dynamic batcher per model, for one process.

This is what the inference worker's tasks call. A request names a model; it is validated against
that model (text present, token count within ``max_input_tokens``, sane parameters) and queued; the
model's batcher runs it with concurrent requests for the same model.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from concurrent.futures import Future
from typing import Any

from models_runtime.backends.base import ChatRequest
from models_runtime.batcher import DynamicBatcher, Outcome
from models_runtime.errors import InvalidInput, InvalidSpec, ModelsRuntimeError
from models_runtime.registry import ModelRegistry
from models_runtime.scheduler import ChatScheduler
from models_runtime.specs import ModelSpec, specs_from_settings


class InferenceRuntime:
    def __init__(self, registry: ModelRegistry):
        self.registry = registry
        self._batchers: dict[str, DynamicBatcher | ChatScheduler] = {}
        self._lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any] | None = None) -> InferenceRuntime:
        """From ``MODELS_RUNTIME``. ``torch_threads`` sets torch's intra-op threads for the
        process: on a small, shared CPU box, one thread per worker keeps OpenMP threads from
        fighting other processes for the cores."""
        specs = specs_from_settings(settings)
        threads = (settings or {}).get("torch_threads")
        if threads is not None:
            if isinstance(threads, bool) or not isinstance(threads, int) or threads < 1:
                raise InvalidSpec("(settings)", "torch_threads", f"must be >= 1, got {threads!r}")
            import torch

            torch.set_num_threads(threads)
        return cls(ModelRegistry(specs))

    def batcher(self, name: str) -> DynamicBatcher | ChatScheduler:
        batcher = self._batchers.get(name)
        if batcher is not None:
            return batcher
        spec: ModelSpec = self.registry.spec(name)  # UnknownModel before anything loads
        backend = self.registry.get(name)  # outside self._lock: loads of two models may overlap
        with self._lock:
            batcher = self._batchers.get(name)
            if batcher is None and _continuous(spec, backend):
                batcher = ChatScheduler(
                    name,
                    backend,
                    max_batch_size=spec.max_batch_size,
                    max_batch_wait_ms=spec.max_batch_wait_ms,
                    max_queue_depth=spec.max_queue_depth,
                    default_timeout_s=spec.request_timeout_s,
                    kv_cache_tokens=spec.kv_cache_tokens,
                    static_when_queue_full=spec.static_when_queue_full,
                )
            elif batcher is None:
                batcher = DynamicBatcher(
                    name,
                    backend.run_batch,
                    max_batch_size=spec.max_batch_size,
                    max_batch_wait_ms=spec.max_batch_wait_ms,
                    max_queue_depth=spec.max_queue_depth,
                    default_timeout_s=spec.request_timeout_s,
                    validate=backend.validate,
                    group_key=backend.group_key if spec.task == "chat" else None,
                    backlog_starts_at_once=spec.task != "chat",
                )
            self._batchers[name] = batcher
        return batcher

    def warm_up(self, only: set[str] | None = None) -> list[str]:
        """Load the ``warm`` models (of ``only``, if given) and start their batchers."""
        names = self.registry.warm_up(only)
        for name in names:
            self.batcher(name)
        return names

    def submit(self, model: str, payload: Any, timeout_s: float | None = None) -> Future:
        """Queue one request; raises ``UnknownModel``/``InvalidInput``/``QueueFull`` at once."""
        return self.batcher(model).submit(payload, timeout_s)

    def run(self, model: str, payload: Any, timeout_s: float | None = None) -> Outcome:
        """Submit and wait. The wait is bounded by the request's own deadline plus its compute."""
        return self.submit(model, payload, timeout_s).result()

    def chat(
        self, model: str, messages: Sequence[Mapping[str, str]] | str, **params: Any
    ) -> Outcome:
        timeout_s = params.pop("timeout_s", None)
        try:
            request = ChatRequest.build(messages, **params)
        except TypeError as exc:
            raise InvalidInput(f"bad chat parameters: {exc}") from exc
        return self.run(model, request, timeout_s)

    def embed(
        self, model: str, texts: Sequence[str], timeout_s: float | None = None
    ) -> list[Outcome]:
        """Each text is its own request, so it batches with other callers' texts."""
        if isinstance(texts, str):
            raise InvalidInput("texts must be a list of strings, not one string")
        # All or nothing: a bad text queues none of them. Queued together, so the first text
        # never runs alone in a batch the model thread takes while the others are queued.
        (futures,) = self.batcher(model).submit_requests([list(texts)], timeout_s)
        if isinstance(futures, ModelsRuntimeError):
            raise futures
        return [future.result() for future in futures]

    def classify(self, model: str, text: str, timeout_s: float | None = None) -> Outcome:
        return self.run(model, text, timeout_s)

    def stats(self) -> dict[str, dict]:
        return {name: batcher.snapshot() for name, batcher in sorted(self._batchers.items())}

    def status(self) -> list[dict]:
        stats = self.stats()
        return [
            {**status.as_dict(), "batcher": stats.get(status.name)}
            for status in self.registry.status()
        ]

    def close(self) -> None:
        with self._lock:
            batchers, self._batchers = list(self._batchers.values()), {}
        for batcher in batchers:
            batcher.close()
        self.registry.close()


def _continuous(spec: ModelSpec, backend) -> bool:
    """A local chat model with continuous batching on (its backend can build the engine)."""
    return (
        spec.task == "chat"
        and spec.batching == "continuous"
        and spec.max_batch_size > 1
        and hasattr(backend, "continuous_engine")
        and backend.supports_continuous_batching
    )


_default: InferenceRuntime | None = None
_default_lock = threading.Lock()


def get_runtime(settings: Mapping[str, Any] | None = None) -> InferenceRuntime:
    """The process's runtime, built on first call from ``settings`` (``MODELS_RUNTIME``).

    Call it in the process that serves (after a worker forks), never before a fork: CUDA state
    does not survive one.
    """
    global _default
    with _default_lock:
        if _default is None:
            _default = InferenceRuntime.from_settings(settings)
        return _default
