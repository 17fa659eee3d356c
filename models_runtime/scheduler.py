"""The chat scheduler of a local transformers chat model: continuous batching, with a static lane.

``ChatScheduler`` has the batcher's interface (``submit`` gives a ``Future`` of an ``Outcome``,
``queue_depth``, ``snapshot``, ``close``) and two ways to run a request:

- **continuous** (``backends.continuous.ContinuousEngine``, transformers' continuous-batching
  manager): a request is admitted while fewer than ``max_batch_size`` requests decode, and joins
  the running batch at the next decoding step; a finished one leaves at once and the oldest
  waiting request takes its place. A lone request starts at once. Its tokens stream as made.
- **static** (a ``DynamicBatcher`` over the backend's one-``generate``-per-batch ``run_batch``),
  used while the continuous loop is paused between two steps (so the two never share a forward
  pass), for:
  * requests with a LoRA adapter (grouped by adapter, as before: a batch holds one adapter);
  * the full-queue regime: while the requests waiting for a free slot make up a full batch
    (``max_batch_size``), the oldest full batch runs as one static batch. A static batch of equal
    rows costs less per token than the paged, variable-length steps on a CPU, so at saturation
    the backlog goes through at static speed; below it nothing waits for companions.
  * the saturated regime: once every slot has been taken (``max_batch_size`` requests decoding
    together), later requests no longer join the running batch one by one; they wait until the
    slots have drained and then go to the static lane, whose adaptive wait gathers the rest of
    the cohort (closed-loop callers come back together after their batch). Without this, a
    closed loop of ``max_batch_size`` callers never queues for a slot, so the full-queue regime
    never starts and the model runs at the paged steps' speed (0.80 of a static batch here).
    A held request waits at most the batching window (``max_batch_wait_ms``, counted from its
    arrival, in the static lane too) for the drain: a long generation still decoding alone does
    not hold the others back; they then run static while it pauses, as in the full-queue
    regime. The regime ends when a static batch gathers fewer than half the slots, or when a
    request arrives with nothing decoding, nothing in the static lane and the last of it ended
    more than the batching window ago (a lone caller starts at once again). A window of 0 (never
    wait for companions) turns the regime off: it cannot gather a cohort.

Queue time is from ``submit`` to admission (or to the static batch's start); ``batch_size`` is
the most requests the request shared a decoding step with (the static batch's size there).
``ModelSpec.batching = "static"`` (or ``MODELS_RUNTIME_CHAT_BATCHING=static``) serves the model
with the static batcher alone, as before this scheduler existed.
"""

from __future__ import annotations

import collections
import logging
import threading
import time
from concurrent.futures import Future
from typing import Any

from models_runtime.batcher import BatcherStats, DynamicBatcher, Outcome
from models_runtime.errors import BackendError, QueueFull, RequestTimeout

logger = logging.getLogger(__name__)


class _Waiting:
    __slots__ = ("payload", "prompt", "ids", "future", "enqueued", "deadline")

    def __init__(self, payload, prompt: str, ids: list[int], enqueued: float, deadline):
        self.payload, self.prompt, self.ids = payload, prompt, ids
        self.future: Future = Future()
        self.enqueued = enqueued
        self.deadline = deadline


class ChatScheduler:
    def __init__(
        self,
        name: str,
        backend,
        *,
        max_batch_size: int,
        max_batch_wait_ms: float,
        max_queue_depth: int,
        default_timeout_s: float | None = None,
        kv_cache_tokens: int,
        static_when_queue_full: bool = True,
        retry_after_s: float = 1.0,
    ):
        self.name = name
        self.backend = backend
        self.max_batch_size = max_batch_size
        self.max_queue_depth = max_queue_depth
        self.default_timeout_s = default_timeout_s
        self.retry_after_s = retry_after_s
        self.static_when_queue_full = static_when_queue_full
        self.engine = backend.continuous_engine(
            max_requests=max_batch_size, kv_cache_tokens=kv_cache_tokens
        )
        self.static = DynamicBatcher(
            name,
            self._run_static,
            max_batch_size=max_batch_size,
            max_batch_wait_ms=max_batch_wait_ms,
            max_queue_depth=max_queue_depth,
            default_timeout_s=default_timeout_s,
            validate=None,
            retry_after_s=retry_after_s,
            group_key=backend.group_key,
        )
        self.stats = BatcherStats()
        # Reentrant: a static batch that ends before _to_static has attached its callbacks runs
        # _relay at once, in the thread that holds the lock.
        self._lock = threading.RLock()
        self._waiting: collections.deque[_Waiting] = collections.deque()
        self._admitted = 0  # requests inside the engine (ours; the engine counts its own too)
        self._closed = False
        self.static_batches = 0  # full-queue batches sent to the static lane
        # The saturated regime (module docstring): every slot was taken; arrivals go static.
        self.saturated = False
        self.saturated_spells = 0
        self._static_pending = 0  # requests handed to the static lane here, not yet answered
        self._quiet_since = 0.0  # when the slots last drained or the static lane emptied
        self._hold_timer: threading.Timer | None = None  # bounds a held request's wait
        self.held_flushes = 0  # held requests sent static before the slots drained

    @property
    def queue_depth(self) -> int:
        return len(self._waiting) + self.static.queue_depth

    def submit(self, payload: Any, timeout_s: float | None = None) -> Future:
        self.backend.validate(payload)
        timeout_s = self.default_timeout_s if timeout_s is None else timeout_s
        if payload.adapter is not None:
            return self.static.submit(payload, timeout_s)
        tokenizer = self.backend._counting_tokenizer
        prompt = self.backend.prompt_text(payload, tokenizer)
        ids = tokenizer(prompt, add_special_tokens=False)["input_ids"]
        now = time.monotonic()
        deadline = now + timeout_s if timeout_s is not None else None
        item = _Waiting(payload, prompt, ids, now, deadline)
        with self._lock:
            if self._closed:
                raise BackendError(f"model {self.name!r}: the scheduler is shut down")
            depth = self.queue_depth
            if depth >= self.max_queue_depth:
                self.stats.add(rejected_queue_full=1)
                raise QueueFull(self.name, depth, self.retry_after_s)
            self._waiting.append(item)
            self.stats.add(submitted=1)
            self.stats.max_queue_depth_seen = max(self.stats.max_queue_depth_seen, depth + 1)
            self._admit()
        return item.future

    def close(self, timeout_s: float | None = 10.0) -> None:
        with self._lock:
            self._closed = True
            if self._hold_timer is not None:
                self._hold_timer.cancel()
        self.static.close(timeout_s)
        self.engine.close()
        with self._lock:
            leftover, self._waiting = list(self._waiting), collections.deque()
        for item in leftover:
            item.future.set_exception(BackendError(f"model {self.name!r}: shut down"))

    def snapshot(self) -> dict:
        static = self.static.stats.snapshot()
        mine = self.stats.snapshot()
        for key in ("submitted", "completed", "failed", "timed_out", "oom_splits"):
            mine[key] += static[key]
        mine["static_lane"] = static
        mine["static_full_queue_batches"] = self.static_batches
        mine["saturated"] = self.saturated
        mine["saturated_spells"] = self.saturated_spells
        mine["held_flushes"] = self.held_flushes
        mine["decoding"] = self._admitted
        return {"model": self.name, "queue_depth": self.queue_depth, "mode": "continuous", **mine}

    # ----------------------------------------------------------------------------- admission

    def _admit(self) -> None:
        """Called with the lock held: admit waiting requests while slots are free; a full
        batch of them waiting goes to the static lane, and so does everything waiting once a
        saturated model's slots have drained."""
        if self.saturated and self._idle_since_static():
            self.saturated = False  # a caller after a quiet spell: continuous again
        while self._waiting:
            if self.static_when_queue_full and len(self._waiting) >= self.max_batch_size:
                batch = [self._waiting.popleft() for _ in range(self.max_batch_size)]
                self.static_batches += 1
                self._to_static(batch)
                continue
            if self.saturated:
                if self._admitted > 0:
                    self._hold()  # the cohort waits for the slots to drain, then runs static
                    return
                self._waiting_to_static()
                return
            if self._admitted >= self.max_batch_size:
                return
            item = self._waiting.popleft()
            if not self._runnable(item):
                continue
            self._start(item)

    @property
    def _saturation_possible(self) -> bool:
        return self.static_when_queue_full and self.static.max_batch_wait_s > 0

    def _hold(self) -> None:
        """With the lock held: make sure the oldest held request is sent static once it has
        waited the batching window, drained or not."""
        if self._hold_timer is not None or self._closed:
            return
        due = self._waiting[0].enqueued + self.static.max_batch_wait_s - time.monotonic()
        self._hold_timer = threading.Timer(max(0.0, due), self._release_held)
        self._hold_timer.daemon = True
        self._hold_timer.start()

    def _release_held(self) -> None:
        with self._lock:
            self._hold_timer = None
            if self._closed or not self._waiting:
                return
            if not self.saturated or self._admitted == 0:
                self._admit()
                return
            waited = time.monotonic() - self._waiting[0].enqueued
            if waited < self.static.max_batch_wait_s:
                self._hold()
                return
            self.held_flushes += 1
            self._waiting_to_static()

    def _waiting_to_static(self) -> None:
        """With the lock held: every waiting request to the static lane, as one cohort."""
        batch, self._waiting = list(self._waiting), collections.deque()
        self._to_static(batch)

    def _runnable(self, item: _Waiting) -> bool:
        if not item.future.set_running_or_notify_cancel():
            return False
        if item.deadline is not None and time.monotonic() > item.deadline:
            waited = time.monotonic() - item.enqueued
            message = f"model {self.name!r}: request waited {waited:.3f}s, past its deadline"
            item.future.set_exception(RequestTimeout(message))
            self.stats.add(timed_out=1)
            return False
        return True

    def _start(self, item: _Waiting) -> None:
        admitted = time.monotonic()

        def done(result, shared: int) -> None:
            self._done(item, admitted, result, shared)

        self._admitted += 1
        if self._saturation_possible and self._admitted >= self.max_batch_size:
            if not self.saturated:
                self.saturated_spells += 1
                # The static lane gathers a whole cohort before a pause in arrivals may start it.
                self.static.expect_cohort(self.max_batch_size)
            self.saturated = True
        try:
            self.engine.add(item.payload, item.prompt, item.ids, done)
        except Exception as exc:
            self._admitted -= 1
            if not isinstance(exc, BackendError):
                exc = BackendError(f"model {self.name!r}: {exc}")
            item.future.set_exception(exc)
            self.stats.add(failed=1)

    def _to_static(self, batch: list[_Waiting]) -> None:
        """A full batch of waiting requests into the static lane, queued together."""
        batch = [item for item in batch if item.future.set_running_or_notify_cancel()]
        if not batch:
            return
        now = time.monotonic()
        timeouts = [
            None if item.deadline is None else max(0.001, item.deadline - now) for item in batch
        ]
        try:
            # Each keeps its arrival time: the static lane's window and queue time count from it.
            inner = self.static.submit_many(
                [item.payload for item in batch], timeouts, [item.enqueued for item in batch]
            )
        except Exception as exc:
            for item in batch:
                item.future.set_exception(exc)
            return
        self._static_pending += len(batch)
        for item, future in zip(batch, inner, strict=True):
            future.add_done_callback(lambda f, item=item: self._relay(item, f))

    def _relay(self, item: _Waiting, inner: Future) -> None:
        with self._lock:
            self._static_pending -= 1
            if self._static_pending == 0:
                self._quiet_since = time.monotonic()
        error = inner.exception()
        if error is not None:
            item.future.set_exception(error)
            return
        outcome = inner.result()  # its queue time already counts from the item's arrival
        item.future.set_result(
            Outcome(
                outcome.output, self.name, outcome.queue_ms, outcome.compute_ms, outcome.batch_size
            )
        )

    def _done(self, item: _Waiting, admitted: float, result, shared: int) -> None:
        """On the engine's dispatcher thread: answer, free the slot, admit the next."""
        finished = time.monotonic()
        with self._lock:
            self._admitted -= 1
            if self._admitted == 0:
                self._quiet_since = finished
            if not self._closed:
                self._admit()
        if isinstance(result, BaseException):
            self.stats.add(failed=1)
            item.future.set_exception(result)
            return
        self.stats.record_batch(shared)
        self.stats.add(completed=1)
        item.future.set_result(
            Outcome(
                result,
                self.name,
                (admitted - item.enqueued) * 1000,
                (finished - admitted) * 1000,
                shared,
            )
        )

    # ------------------------------------------------------------------------------ static lane

    def _idle_since_static(self) -> bool:
        """Nothing decodes, runs or waits in the static lane, and the slots drained or the last
        static batch ended more than the batching window ago: closed-loop callers would have come
        back by now."""
        return (
            self._admitted == 0
            and self._static_pending == 0
            and time.monotonic() - self._quiet_since > self.static.max_batch_wait_s
        )

    def _run_static(self, payloads):
        """A static batch (one adapter, or none) with the continuous loop held between steps."""
        plain = payloads[0].adapter is None  # a batch holds one adapter, or none
        if plain and len(payloads) * 2 < self.max_batch_size:
            with self._lock:
                self.saturated = False  # the cohort has thinned out: continuous again
        try:
            with self.engine.paused():
                return self.backend.run_batch(payloads)
        finally:
            if plain:
                with self._lock:
                    if not self._closed:
                        self._admit()
