"""What a model call passes before it is sent: the tenant's model quota (a hook) and
backpressure (429 past INFERENCE_MAX_QUEUED requests waiting in the model's own queue), with
the broker figures these read (also on /metrics).

Backpressure reads a queue's length at most once per ``INFERENCE_QUEUE_DEPTH_MAX_AGE_S`` in each
process (``QueueDepths``): under load every request asked Redis for the same figure, a round trip
that cost the web process and Redis CPU on each request; the limit is a safety valve, not an
exact count, and a queue grows by at most what arrives in that window.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from celery import current_app
from django.conf import settings
from django.utils.module_loading import import_string

from . import errors, routing, streams
from .metrics import REFUSED


def check_quota(tenant_id) -> None:
    hook = getattr(settings, "MODELS_RUNTIME_QUOTA_HOOK", None)
    if hook:
        import_string(hook)(tenant_id=tenant_id)


def in_process() -> bool:
    """Tasks run in this process (no broker configured, or tests without a worker)."""
    return bool(current_app.conf.task_always_eager)


def broker_queues() -> list[str]:
    """Every queue the Celery app declares (none without a broker)."""
    if in_process():
        return []
    return [queue.name for queue in current_app.conf.task_queues]


def queued_requests(queue: str) -> int:
    """Requests waiting in the broker's ``queue`` (0 without a broker): its Redis list length,
    the figure KEDA's redis scaler reads too."""
    if in_process():
        return 0
    return int(streams._redis_client().llen(queue))


class QueueDepths:
    """Queue lengths from ``read(queue)``, each read again only once ``max_age_s`` has passed
    since it was last read (two threads may both read at the edge of a window: harmless)."""

    def __init__(
        self,
        read: Callable[[str], int],
        max_age_s: float,
        clock: Callable[[], float] = time.monotonic,
    ):
        self._read, self.max_age_s, self._clock = read, max_age_s, clock
        self._seen: dict[str, tuple[int, float]] = {}

    def depth(self, queue: str) -> int:
        now = self._clock()
        seen = self._seen.get(queue)
        if seen is not None and now - seen[1] < self.max_age_s:
            return seen[0]
        depth = self._read(queue)
        self._seen[queue] = (depth, now)
        return depth


# One per process; its window follows the setting on every read.
_depths = QueueDepths(lambda queue: queued_requests(queue), max_age_s=0.0)


def _queue_depth(queue: str) -> int:
    """``queued_requests(queue)``, read at most once per INFERENCE_QUEUE_DEPTH_MAX_AGE_S here.
    In-process (no broker) there is nothing to read, and nothing is kept."""
    max_age_s = settings.INFERENCE_QUEUE_DEPTH_MAX_AGE_S
    if max_age_s <= 0 or in_process():
        return queued_requests(queue)
    _depths.max_age_s = max_age_s
    return _depths.depth(queue)


def check_backpressure(model: str) -> str:
    """429 when the model's own queue holds INFERENCE_MAX_QUEUED requests; returns the queue.
    Per queue: a backlog of chat requests never refuses an embedding."""
    queue = routing.queue_to_send(model)
    depth = _queue_depth(queue)
    if depth >= settings.INFERENCE_MAX_QUEUED:
        REFUSED.labels(model, "queue_full").inc()
        raise errors.QueueFull(model, depth, settings.INFERENCE_RETRY_AFTER_S)
    return queue
