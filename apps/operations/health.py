"""The health of the platform's services as the console shows it: database, broker, each
Celery worker (queues, pool, running tasks, loaded models and their device) and the depth of
each queue. Platform-wide facts with no tenant data in them."""

from __future__ import annotations

import time

from celery import current_app

from apps.core.health import check_broker, check_database

from .control import COMMAND

# The queues of contract 4 (config/celery.py): jobs, one per inference model group, training.
QUEUES = ("default", "inference.chat", "inference.embed", "inference.classify", "training")
# kombu's Redis transport keeps a queue's messages of priority p > 0 under "<queue>\x06\x16<p>"
# (its default priority steps); the plain name holds priority 0.
_PRIORITY_SUFFIXES = ("", "\x06\x163", "\x06\x166", "\x06\x169")
WORKER_REPLY_TIMEOUT_S = 1.0


def _timed(check) -> dict:
    started = time.monotonic()
    try:
        result = {"ok": True, **(check() or {})}
    except Exception as exc:  # a failing service is what the page is for, not a crash
        result = {"ok": False, "error": f"{type(exc).__name__}: {exc}"[:300]}
    result["latency_ms"] = round((time.monotonic() - started) * 1000, 1)
    return result


def _celery():
    # The project's Celery app (config/celery.py) is the current app once Django has started;
    # reaching it this way keeps apps.operations from importing the project's wiring.
    return current_app


def _in_process() -> bool:
    """Without a broker, tasks run in the caller's process: no queues, no workers."""
    return bool(_celery().conf.task_always_eager)


def _redis():
    import redis

    return redis.Redis.from_url(
        _celery().conf.broker_url, socket_connect_timeout=2, socket_timeout=2
    )


def queue_depths() -> dict:
    """Messages waiting per queue, and those delivered to a worker but not yet acknowledged
    (``unacked``: running, or held by a worker that died until the visibility timeout)."""
    if _in_process():
        return {"mode": "in-process tasks (no broker configured)", "queues": {}}
    client = _redis()
    try:
        pipe = client.pipeline()
        for queue in QUEUES:
            for suffix in _PRIORITY_SUFFIXES:
                pipe.llen(queue + suffix)
        pipe.hlen("unacked")
        counts = pipe.execute()
    finally:
        client.close()
    per = len(_PRIORITY_SUFFIXES)
    depths = {q: sum(counts[i * per : (i + 1) * per]) for i, q in enumerate(QUEUES)}
    return {"mode": "redis", "queues": depths, "unacked": counts[-1]}


def workers() -> list[dict]:
    """One entry per live worker, from one broadcast of the ``operations_status`` command."""
    if _in_process():
        return []
    replies = _celery().control.broadcast(COMMAND, reply=True, timeout=WORKER_REPLY_TIMEOUT_S) or []
    found = []
    for reply in replies:
        for name, status in reply.items():
            if not isinstance(status, dict) or "queues" not in status:
                # A worker that predates the command answers {"error": "No such command"}.
                status = {"queues": [], "models": [], "error": str(status)[:200]}
            found.append({"name": name, **status})
    return sorted(found, key=lambda w: w["name"])


def services_health() -> dict:
    """Database and broker checks (the readiness checks' own functions), the workers, and what
    is missing: a queue that no live worker consumes."""
    found = workers()
    consumed = {q for w in found for q in w.get("queues", [])}
    eager = _in_process()
    return {
        "database": _timed(check_database),
        "broker": _timed(check_broker),
        "workers": found,
        "queues_without_worker": [] if eager else [q for q in QUEUES if q not in consumed],
        "queue_depths": _timed(queue_depths),
    }
