"""A dynamic batcher per model, in the manner of Triton's: gather, then run, on one thread.

Callers on any thread ``submit`` a payload and get a ``Future``. The model's thread takes up to
``max_batch_size`` queued requests and runs them as one batch. It waits for companions only
while others are arriving (``arrivals.AdaptiveWait``): a lone caller's request starts at once,
a loaded model waits until arrivals pause, never longer than ``max_batch_wait_ms`` after the
oldest request arrived. The future's result is an ``Outcome``: the backend's
output plus queue time, compute time and the size of the batch it ran in.

Failure handling: a full queue refuses at ``submit`` (``QueueFull``: the API answers 429); a request
whose deadline passed before its batch started fails with ``RequestTimeout`` and is not computed;
out of memory splits the batch in halves and retries each, down to single requests; any other
error fails only the callers of that batch. The thread itself never dies of a batch's error.

With a ``group_key`` (the chat backend's: the request's LoRA adapter), a batch holds only requests
with the key of the oldest waiting one; the others wait, in order, for a later batch. Each group
keeps its own cohort for the wait: a tenant's lone request with its adapter, arriving after a
batch of sixteen base-model requests, starts at once instead of waiting the whole window for
fifteen companions that are not its own (one that arrives while a batch runs still waits for
arrivals to pause, as any concurrent arrival does); and a group waits for its cohort only while
no other group queues behind it.
"""

from __future__ import annotations

import collections
import logging
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any

from models_runtime.arrivals import AdaptiveWait
from models_runtime.errors import BackendError, ModelsRuntimeError, QueueFull, RequestTimeout

logger = logging.getLogger(__name__)

# How long a group's cohort is remembered after its last batch (batchers with a group key).
COHORT_MEMORY_S = 300.0


@dataclass(frozen=True)
class Outcome:
    output: Any
    model: str
    queue_ms: float
    compute_ms: float
    batch_size: int


def is_out_of_memory(exc: BaseException) -> bool:
    """torch.cuda.OutOfMemoryError (a RuntimeError), or any RuntimeError saying "out of memory"."""
    if type(exc).__name__ == "OutOfMemoryError":
        return True
    return isinstance(exc, RuntimeError) and "out of memory" in str(exc).lower()


def _release_cuda_memory() -> None:
    try:
        import torch

        if torch.cuda.is_available():
            torch.cuda.empty_cache()
    except ImportError:  # pragma: no cover - torch is always installed with this package
        pass


class _Item:
    __slots__ = ("payload", "future", "enqueued", "deadline", "arrival")

    def __init__(self, payload: Any, enqueued: float, deadline: float | None, arrival: int = 0):
        self.payload = payload
        self.future: Future = Future()
        self.enqueued = enqueued
        self.deadline = deadline
        # Items queued together (one request's texts, one coalesced group) share an arrival:
        # the wait policy counts arrivals, not texts, so a lone caller's three texts are one.
        self.arrival = arrival


def _arrivals(items) -> int:
    return len({item.arrival for item in items})


class BatcherStats:
    """Counters and the batch-size record of one batcher (read with ``snapshot``)."""

    def __init__(self, recent: int = 1024):
        self._lock = threading.Lock()
        self.submitted = self.completed = self.failed = 0
        self.rejected_queue_full = self.timed_out = self.oom_splits = self.batches = 0
        self.batch_sizes: collections.Counter[int] = collections.Counter()
        self.recent_batch_sizes: collections.deque[int] = collections.deque(maxlen=recent)
        self.max_queue_depth_seen = 0

    def add(self, **counts: int) -> None:
        with self._lock:
            for name, value in counts.items():
                setattr(self, name, getattr(self, name) + value)

    def record_batch(self, size: int) -> None:
        with self._lock:
            self.batches += 1
            self.batch_sizes[size] += 1
            self.recent_batch_sizes.append(size)

    def snapshot(self) -> dict:
        with self._lock:
            return {
                "submitted": self.submitted,
                "completed": self.completed,
                "failed": self.failed,
                "rejected_queue_full": self.rejected_queue_full,
                "timed_out": self.timed_out,
                "oom_splits": self.oom_splits,
                "batches": self.batches,
                "batch_size_histogram": dict(sorted(self.batch_sizes.items())),
                "recent_batch_sizes": list(self.recent_batch_sizes),
                "max_queue_depth_seen": self.max_queue_depth_seen,
            }


class DynamicBatcher:
    def __init__(
        self,
        name: str,
        run_batch: Callable[[Sequence[Any]], Sequence[Any]],
        *,
        max_batch_size: int,
        max_batch_wait_ms: float,
        max_queue_depth: int,
        default_timeout_s: float | None = None,
        validate: Callable[[Any], None] | None = None,
        retry_after_s: float = 1.0,
        group_key: Callable[[Any], Any] | None = None,
        backlog_starts_at_once: bool = False,
    ):
        if max_batch_size < 1 or max_queue_depth < 1 or max_batch_wait_ms < 0:
            raise ValueError(
                "max_batch_size and max_queue_depth must be >= 1, max_batch_wait_ms >= 0"
            )
        self.name = name
        self.max_batch_size = max_batch_size
        self.max_batch_wait_s = max_batch_wait_ms / 1000.0
        self.max_queue_depth = max_queue_depth
        self.default_timeout_s = default_timeout_s
        self.retry_after_s = retry_after_s
        self._run_batch = run_batch
        self._validate = validate
        self._group_key = group_key
        # With a group key: the cohort each group's callers come in (its last batch's arrivals,
        # or what expect_cohort announced); groups without one (0 or 1) are not kept.
        self._cohorts: dict[Any, tuple[int, float]] = {}  # key -> (size, when it was set)
        self._queue: collections.deque[_Item] = collections.deque()
        self._cond = threading.Condition()
        self._closed = False
        self._running = False  # a batch is computing (arrivals meanwhile are concurrent)
        # For models whose batch costs about its size (encoders): requests that queued up while a
        # batch computed start at once when it ends. The model is the bottleneck then, and
        # waiting for more companions would only idle it (bench_inference's embed workload lost
        # a third of its throughput to that wait). Generation (the chat static lane) keeps the
        # wait: a batch there costs about the same whatever its size.
        self.backlog_starts_at_once = backlog_starts_at_once
        self._backlog = False
        self._arrival_count = 0
        self.wait_policy = AdaptiveWait(self.max_batch_wait_s)
        self.stats = BatcherStats()
        self._thread = threading.Thread(target=self._loop, name=f"batcher-{name}", daemon=True)
        self._thread.start()

    # ------------------------------------------------------------------------------ caller side

    @property
    def queue_depth(self) -> int:
        return len(self._queue)

    def submit(self, payload: Any, timeout_s: float | None = None) -> Future:
        """Validate and queue; the future resolves to an ``Outcome`` or raises the request's error.

        Raises ``InvalidInput`` (from the validator) or ``QueueFull`` at once, before queueing.
        """
        if self._validate is not None:
            self._validate(payload)
        (item,) = self._enqueue([payload], [self._timeout(timeout_s)], together=True)
        return item.future

    def submit_requests(
        self,
        requests: Sequence[Sequence[Any] | ModelsRuntimeError],
        timeout_s: float | None = None,
    ) -> list[list[Future] | ModelsRuntimeError]:
        """Several callers' requests (each a sequence of payloads: one caller's texts), queued
        under one lock as one arrival, so a batch the model thread takes meanwhile never splits
        off the first text alone (it used to: a group's first text ran as a batch of one while
        the others were still being queued). A request with a payload the validator refuses gets
        that error in its place and queues nothing; the others go on. A request that is already
        an error (the caller's own checks) keeps its place. Raises ``QueueFull`` (for all of
        them) at once."""
        checked: list[list | ModelsRuntimeError] = []
        for payloads in requests:
            if isinstance(payloads, ModelsRuntimeError):
                checked.append(payloads)
                continue
            try:
                if self._validate is not None:
                    for payload in payloads:
                        self._validate(payload)
                checked.append(list(payloads))
            except ModelsRuntimeError as exc:
                checked.append(exc)
        flat = [p for request in checked if isinstance(request, list) for p in request]
        timeout = self._timeout(timeout_s)
        queued = iter(self._enqueue(flat, [timeout] * len(flat), together=True) if flat else ())
        return [
            request
            if isinstance(request, ModelsRuntimeError)
            else [next(queued).future for _ in request]
            for request in checked
        ]

    def expect_cohort(self, size: int, group: Any = None) -> None:
        """Callers will come back ``size`` at a time (the chat scheduler's saturated regime):
        until a batch holds that many, a pause in arrivals does not start it; the window still
        does. ``group``: whose callers, with a group key (None: the base model's)."""
        with self._cond:
            if self._group_key is None:
                self.wait_policy.expect(size)
            elif size > 1:
                self._cohorts[group] = (max(self._cohort(group), size), time.monotonic())

    def submit_many(
        self,
        payloads: Sequence[Any],
        timeouts_s: Sequence[float | None],
        enqueued: Sequence[float] | None = None,
    ) -> list:
        """Queue several requests at once (validated first), so that a batch taken meanwhile
        holds all of them or none (the chat scheduler's full-queue batches). ``enqueued``: when
        each arrived, if earlier than now (requests handed over after waiting elsewhere): the
        batching window and the reported queue time count from then. A timeout of None: no
        deadline. Each counts as a concurrent arrival (they come from callers already waiting)."""
        if self._validate is not None:
            for payload in payloads:
                self._validate(payload)
        items = self._enqueue(payloads, timeouts_s, together=False, enqueued=enqueued)
        return [item.future for item in items]

    def _timeout(self, timeout_s: float | None) -> float | None:
        return self.default_timeout_s if timeout_s is None else timeout_s

    def _enqueue(
        self,
        payloads: Sequence[Any],
        timeouts_s: Sequence[float | None],
        *,
        together: bool,
        enqueued: Sequence[float] | None = None,
    ) -> list[_Item]:
        """Queue ``payloads`` under one lock. ``together``: they are one arrival for the wait
        policy (concurrent only if something was queued or running), else each is a concurrent
        arrival."""
        now = time.monotonic()
        arrived = list(enqueued) if enqueued is not None else [now] * len(payloads)
        deadlines = [now + t if t is not None else None for t in timeouts_s]
        with self._cond:
            if self._closed:
                raise BackendError(f"model {self.name!r}: the batcher is shut down")
            depth = len(self._queue)
            if depth + len(payloads) > self.max_queue_depth:
                self.stats.add(rejected_queue_full=len(payloads))
                raise QueueFull(self.name, depth, self.retry_after_s)
            first = self._arrival_count + 1
            self._arrival_count += 1 if together else len(payloads)
            items = [
                _Item(p, min(a, now), d, first if together else first + i)
                for i, (p, d, a) in enumerate(zip(payloads, deadlines, arrived, strict=True))
            ]
            self._backlog = self._backlog or self._running
            if together:
                self.wait_policy.arrived(now, concurrent=depth > 0 or self._running)
            else:
                for _ in items:
                    self.wait_policy.arrived(now, concurrent=True)
            self._queue.extend(items)
            self.stats.add(submitted=len(items))
            if depth + len(items) > self.stats.max_queue_depth_seen:
                self.stats.max_queue_depth_seen = depth + len(items)
            self._cond.notify()
        return items

    def close(self, timeout_s: float | None = 10.0) -> None:
        """Stop taking requests, finish the queued ones, stop the thread."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()
        self._thread.join(timeout_s)

    def snapshot(self) -> dict:
        return {"model": self.name, "queue_depth": self.queue_depth, **self.stats.snapshot()}

    # ------------------------------------------------------------------------------ model thread

    def _loop(self) -> None:
        while True:
            batch = self._next_batch()
            if batch is None:
                return
            try:
                self._start(batch)
            except Exception:  # a bug here must not kill the model's only thread
                logger.exception("batcher %s: unexpected error around a batch", self.name)
                for item in batch:
                    if not item.future.done():
                        item.future.set_exception(
                            BackendError(f"model {self.name!r}: internal error")
                        )

    def _next_batch(self) -> list[_Item] | None:
        with self._cond:
            self._running = False
            while not self._queue:
                if self._closed:
                    return None
                self._cond.wait()
            waits = not (self.backlog_starts_at_once and self._backlog)
            key = None if self._group_key is None else self._group_key(self._queue[0].payload)
            while waits and len(self._queue) < self.max_batch_size and not self._closed:
                # Re-read each time: a new arrival moves the flush time (arrivals continue).
                flush_at = self._flush_at(key)
                remaining = flush_at - time.monotonic()
                if remaining <= 0:
                    break
                self._cond.wait(remaining)
            if self._group_key is None:
                count = min(len(self._queue), self.max_batch_size)
                batch = [self._queue.popleft() for _ in range(count)]
            else:
                batch = self._take_group()
                self._remember_cohort(key, _arrivals(batch))
            self.wait_policy.taken(_arrivals(batch))
            # Leftovers of a backlog (more than a batch queued up) start at once too.
            self._backlog = self._backlog and bool(self._queue)
            self._running = True
            return batch

    def _flush_at(self, key) -> float:
        """When the batch that the queue's oldest request heads should start. With a group key,
        only that request's group counts: its own queued arrivals against its own cohort; and
        while other groups queue behind it, it waits for no cohort (only for arrivals to pause),
        so that one group's expected companions never hold up the others."""
        if self._group_key is None:
            return self.wait_policy.flush_at(self._queue[0].enqueued, _arrivals(self._queue))
        mine = [item for item in self._queue if self._group_key(item.payload) == key]
        cohort = self._cohort(key) if len(mine) == len(self._queue) else 0
        return self.wait_policy.flush_at(self._queue[0].enqueued, _arrivals(mine), expected=cohort)

    def _cohort(self, key) -> int:
        remembered = self._cohorts.get(key)
        return remembered[0] if remembered is not None else 0

    def _remember_cohort(self, key, size: int) -> None:
        """A group's last batch (with the lock held). Groups not seen for COHORT_MEMORY_S are
        forgotten: adapter keys carry a version digest, so every promotion makes a new one."""
        now = time.monotonic()
        if size > 1:
            self._cohorts[key] = (size, now)
        else:
            self._cohorts.pop(key, None)
        stale = [k for k, (_, at) in self._cohorts.items() if now - at > COHORT_MEMORY_S]
        for k in stale:
            del self._cohorts[k]

    def _take_group(self) -> list[_Item]:
        """The oldest request and the queued ones with its group key (its LoRA adapter), in
        order; the others keep their places. Called with the lock held."""
        key = self._group_key(self._queue[0].payload)
        batch, rest = [], collections.deque()
        for item in self._queue:
            if len(batch) < self.max_batch_size and self._group_key(item.payload) == key:
                batch.append(item)
            else:
                rest.append(item)
        self._queue = rest
        return batch

    def _start(self, batch: list[_Item]) -> None:
        now = time.monotonic()
        runnable = []
        for item in batch:
            if not item.future.set_running_or_notify_cancel():
                continue  # the caller cancelled it while it waited
            if item.deadline is not None and now > item.deadline:
                waited = now - item.enqueued
                item.future.set_exception(
                    RequestTimeout(
                        f"model {self.name!r}: request waited {waited:.3f}s, past its deadline"
                    )
                )
                self.stats.add(timed_out=1)
                continue
            runnable.append(item)
        if runnable:
            self._run(runnable)

    def _run(self, items: list[_Item]) -> None:
        started = time.monotonic()
        try:
            outputs = list(self._run_batch([item.payload for item in items]))
            if len(outputs) != len(items):
                raise BackendError(
                    f"model {self.name!r}: backend returned {len(outputs)} results "
                    f"for {len(items)} inputs"
                )
        except Exception as exc:
            if is_out_of_memory(exc) and len(items) > 1:
                self.stats.add(oom_splits=1)
                _release_cuda_memory()
                half = len(items) // 2
                logger.warning(
                    "batcher %s: out of memory at batch %d, splitting", self.name, len(items)
                )
                self._run(items[:half])
                self._run(items[half:])
                return
            self._fail(items, self._as_runtime_error(exc, len(items)))
            return
        compute_ms = (time.monotonic() - started) * 1000
        self.stats.record_batch(len(items))
        for item, output in zip(items, outputs, strict=True):
            if isinstance(output, BaseException):  # a backend may fail single requests
                self._fail([item], output)
                continue
            queue_ms = (started - item.enqueued) * 1000
            item.future.set_result(Outcome(output, self.name, queue_ms, compute_ms, len(items)))
            self.stats.add(completed=1)

    def _as_runtime_error(self, exc: Exception, size: int) -> Exception:
        if isinstance(exc, ModelsRuntimeError):
            return exc
        if is_out_of_memory(exc):
            message = f"model {self.name!r}: out of memory even for a single request"
        else:
            logger.exception("batcher %s: batch of %d failed", self.name, size, exc_info=exc)
            message = f"model {self.name!r}: batch of {size} failed: {type(exc).__name__}: {exc}"
        error = BackendError(message)
        error.__cause__ = exc
        return error

    def _fail(self, items: list[_Item], error: BaseException) -> None:
        for item in items:
            item.future.set_exception(error)
        self.stats.add(failed=len(items))
