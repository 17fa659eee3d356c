"""Request coalescing in the calling process: concurrent embedding calls share one worker task.

A Celery round trip (publish, the worker's receive, trace, result store, pub/sub wake-up) costs
both processes several milliseconds of CPU, about as much as embedding the text. So each process
keeps at most ``max_in_flight`` tasks per model on the way to the worker; a call that arrives
while that many are out joins the *open group*, and the group's first caller (its leader) sends
the whole group as one task as soon as a slot frees. Under low load nothing waits (a lone call
finds a free slot and goes at once); under load, groups grow by themselves to what arrived during
one round trip. The worker still batches across groups and processes (its dynamic batcher), and
still meters, validates and answers every caller's item on its own: one caller's bad text fails
only that caller.

Only small calls coalesce (the client sends a call of more than half a group's texts on its own:
it fills a batch by itself, and queuing it behind the slots would only stall the worker).

Group commit in databases works the same way; Triton's dynamic batcher does the worker's part.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

# send(model, items, timeout_s) -> one answer per item, in order.
SendGroup = Callable[[str, list[dict], float], Sequence[dict]]


@dataclass
class _Group:
    items: list[dict] = field(default_factory=list)
    texts: int = 0
    done: threading.Event = field(default_factory=threading.Event)
    answers: Sequence[dict] | None = None
    error: BaseException | None = None


class Coalescer:
    """Groups concurrent calls per model; ``call`` returns this caller's answer."""

    def __init__(self, send: SendGroup, *, max_in_flight: int, max_texts: int = 64):
        if max_in_flight < 1 or max_texts < 1:
            raise ValueError("max_in_flight and max_texts must be >= 1")
        self._send = send
        self.max_in_flight = max_in_flight
        self.max_texts = max_texts
        self._slots = threading.Condition()
        self._open: dict[str, _Group] = {}
        self._in_flight: dict[str, int] = defaultdict(int)
        self._queued: dict[str, int] = defaultdict(int)  # calls in groups not yet sent
        self.groups_sent = 0  # for tests and the curious

    def call(self, model: str, item: dict, timeout_s: float) -> dict:
        """Send ``item`` (``{"texts": [...], "tenant_id": ...}``) with whatever concurrent calls
        for ``model`` join it; raises what sending the group raised."""
        size = len(item.get("texts") or ())
        with self._slots:
            group = self._open.get(model)
            leader = group is None or group.texts + size > self.max_texts
            if leader:
                group = self._open[model] = _Group()
            index = len(group.items)
            group.items.append(item)
            group.texts += size
            self._queued[model] += 1
            if leader:
                # Wait for a free slot; everyone arriving meanwhile joins this group.
                if not self._slots.wait_for(
                    lambda: self._in_flight[model] < self.max_in_flight, timeout=timeout_s
                ):
                    self._close(model, group)
                    self._queued[model] -= len(group.items)
                    group.error = TimeoutError(f"no free slot for model {model!r}")
                    group.done.set()
                    raise group.error
                self._close(model, group)
                self._queued[model] -= len(group.items)
                self._in_flight[model] += 1
                self.groups_sent += 1
        if leader:
            self._send_group(model, group, timeout_s)
        elif not group.done.wait(timeout_s + 10):
            raise TimeoutError(f"no answer for model {model!r} in {timeout_s:g} s")
        if group.error is not None:
            raise group.error
        return group.answers[index]

    def _close(self, model: str, group: _Group) -> None:
        if self._open.get(model) is group:
            del self._open[model]

    def _send_group(self, model: str, group: _Group, timeout_s: float) -> None:
        try:
            answers = self._send(model, group.items, timeout_s)
            if len(answers) != len(group.items):
                raise RuntimeError(
                    f"{len(answers)} answers for a group of {len(group.items)} requests"
                )
            group.answers = answers
        except BaseException as exc:  # every member raises it
            group.error = exc
        finally:
            with self._slots:
                self._in_flight[model] -= 1
                self._slots.notify_all()
            group.done.set()

    def stats(self) -> dict[str, Any]:
        with self._slots:
            return {
                "groups_sent": self.groups_sent,
                "in_flight": dict(self._in_flight),
                "open": {m: len(g.items) for m, g in self._open.items()},
                "queued": dict(self._queued),
            }
