"""How long a batch waits for companions: only while others are arriving.

A fixed batching window (Triton's ``max_queue_delay``) makes a lone caller pay the whole window on
every request. Here the window is a ceiling: a batch waits only when requests have been arriving
together lately, and then only until arrivals pause. Every batcher uses this policy
(``DynamicBatcher`` for encoders, the chat scheduler's static regime).

- **Companions expected** when, since the previous batch was taken, a request arrived while
  another was queued or running (a *concurrent* arrival), or the previous batch held more than
  one request (callers in a closed loop come back together after their batch ends). A lone
  caller, whose next request comes only after its answer, never meets either condition: its
  requests start at once. At start nothing is expected.
- **Arrivals pause** when no request arrived for ``idle_gap``: twice the 95th percentile of the
  recent gaps between concurrent arrivals (the pace at which the web tier hands requests over),
  at least ``min_idle_s`` and at most the window. Before any gap is known it is the window.
  Until the batch holds as many requests as the previous one, a pause does not end the wait
  (callers in a closed loop come back at the pace a loaded web tier lets them, which a pause
  would split into two static batches); the window still does.
- The window (``max_batch_wait_ms``) still bounds the wait from the oldest request, and a full
  batch starts at once.
- A batcher whose batches hold one group each (LoRA adapters) passes each group's own cohort
  (``flush_at(expected=...)``) instead of the previous batch's size.

The object is not thread-safe: the batcher calls it with its lock held. ``now`` is passed in,
so tests drive it with a fake clock.
"""

from __future__ import annotations

import collections


class AdaptiveWait:
    MIN_IDLE_S = 0.005
    GAPS_KEPT = 64

    def __init__(self, max_wait_s: float, min_idle_s: float = MIN_IDLE_S):
        self.max_wait_s = max_wait_s
        self.min_idle_s = min(min_idle_s, max_wait_s)
        self.last_arrival: float | None = None
        self.concurrent_since_take = 0
        self.previous_batch_size = 0
        self._gaps: collections.deque[float] = collections.deque(maxlen=self.GAPS_KEPT)
        self._idle_gap: float | None = None

    def arrived(self, now: float, *, concurrent: bool) -> None:
        """A request arrived; ``concurrent``: another was queued or running at that moment."""
        if concurrent:
            self.concurrent_since_take += 1
            if self.last_arrival is not None:
                gap = now - self.last_arrival
                if gap < self.max_wait_s:
                    self._gaps.append(gap)
                    self._idle_gap = None  # recomputed on next use
        self.last_arrival = now

    def taken(self, size: int) -> None:
        """A batch of ``size`` requests left the queue."""
        self.previous_batch_size = size
        self.concurrent_since_take = 0

    def expect(self, size: int) -> None:
        """A cohort of ``size`` callers is known to be coming (as if the previous batch held
        that many)."""
        self.previous_batch_size = max(self.previous_batch_size, size)

    @property
    def companions_expected(self) -> bool:
        return self.concurrent_since_take > 0 or self.previous_batch_size > 1

    @property
    def idle_gap(self) -> float:
        if self._idle_gap is None:
            if not self._gaps:
                self._idle_gap = self.max_wait_s
            else:
                ordered = sorted(self._gaps)
                p95 = ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]
                self._idle_gap = min(self.max_wait_s, max(self.min_idle_s, 2 * p95))
        return self._idle_gap

    def flush_at(
        self, oldest_enqueued: float, queued: int = 1, expected: int | None = None
    ) -> float:
        """When the batch being formed (``queued`` requests so far) should start (monotonic
        seconds). A time at or before the oldest request's arrival means at once. ``expected``:
        the cohort this batch's callers come in, where the caller keeps one per group of
        requests (a batcher with LoRA adapters); by default the previous batch's size."""
        cohort = self.previous_batch_size if expected is None else expected
        if not (self.concurrent_since_take > 0 or cohort > 1) or self.max_wait_s <= 0:
            return oldest_enqueued
        ceiling = oldest_enqueued + self.max_wait_s
        if queued < cohort:
            return ceiling
        last = self.last_arrival if self.last_arrival is not None else oldest_enqueued
        return min(ceiling, last + self.idle_gap)
