"""A Celery inspect command that reports, in one reply per worker, what the console shows:
the queues the worker consumes, its pool, tasks running now and, in an inference worker, the
models it holds (loaded, device, batcher counters).

One broadcast answers everything (``app.control.broadcast("operations_status", reply=True)``)
instead of four ``inspect`` round trips, each of which waits out its whole timeout. Registered
when the app is ready, which happens in the worker too (Celery's Django fix-up), before its
consumer takes control messages.
"""

from __future__ import annotations

import os

from celery.worker import state as worker_state
from celery.worker.control import inspect_command

from models_runtime import runtime as runtime_module

COMMAND = "operations_status"


def _models() -> list[dict]:
    """The models of this process's inference runtime, if it has one. Never builds one: a
    worker of the default queue (or a prefork parent) must not start loading models because an
    operator opened a page."""
    current = getattr(runtime_module, "_default", None)
    return current.status() if current is not None else []


@inspect_command(name=COMMAND)
def operations_status(state, **kwargs) -> dict:
    consumer = state.consumer
    task_consumer = getattr(consumer, "task_consumer", None)
    queues = sorted(q.name for q in task_consumer.queues) if task_consumer is not None else []
    pool = getattr(consumer, "pool", None)
    return {
        "pid": os.getpid(),
        "queues": queues,
        "pool": type(pool).__module__.rsplit(".", 1)[-1] if pool is not None else "",
        "concurrency": getattr(pool, "limit", None) or getattr(pool, "num_processes", None),
        "active": len(worker_state.active_requests),
        "processed": sum(worker_state.total_count.values()),
        "models": _models(),
    }
