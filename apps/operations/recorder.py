"""Request counts and latencies per vertical, per minute, shared by every web process.

The audit log knows what was done but not how long a request took (an audited block times only
its own work, not the model calls before it nor the queueing in front of it), and each process's
Prometheus counters see only that process. So each API request adds itself here: per minute and
group, its count, status class, summed milliseconds and a latency histogram with fixed bounds,
kept two hours in Redis. A process adds up its requests in memory and sends the sums every
OPERATIONS_METRICS_FLUSH_S (one script call per minute row, where one call per request cost a
busy web process about 5 % of its CPU): the request that finds the interval over sends them, or a
background thread once the process goes quiet. Reading the rows (``minutes``) sends this
process's sums first, and a process that exits sends what it holds (gunicorn's quick shutdown
too: config/gunicorn_conf.py). Without Redis (in-process mode, one process) a dict in memory
stands in. Recording never fails a request.
"""

from __future__ import annotations

import atexit
import logging
import os
import threading
import time
from bisect import bisect_left
from collections import defaultdict

from django.conf import settings

from apps.core import verticals

logger = logging.getLogger(__name__)

# Upper bounds of the latency buckets, in milliseconds; the last bucket is everything above.
BOUNDS_MS = (10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10_000, 30_000, 60_000, 120_000)
KEEP_S = 2 * 3600
# /api/v1/<segment>/… → the group a request is counted in; other API segments are "platform".
# Each vertical's segment is its declaration's url_prefix, counted under its label.
PLATFORM_GROUPS = {
    "inference": "inference API",
    "models": "inference API",
    "knowledge": "knowledge",
}


def _new_pending() -> dict[str, dict[str, int]]:
    return defaultdict(lambda: defaultdict(int))


_memory = _new_pending()
_memory_lock = threading.Lock()
_client = None
_client_lock = threading.Lock()
# Counts not yet sent to Redis: minute row -> field -> amount, and when they were last sent.
_pending = _new_pending()
_pending_lock = threading.Lock()
_last_flush = time.monotonic()
# The process whose background sender runs (a forked gunicorn worker starts its own).
_sender_pid: int | None = None


def group_of(path: str) -> str | None:
    """The group of an API path, None for anything that is not under /api/v1/."""
    if not path.startswith("/api/v1/"):
        return None
    segment = path[len("/api/v1/") :].split("/", 1)[0]
    return PLATFORM_GROUPS.get(segment) or verticals.api_groups().get(segment, "platform")


def _redis():
    global _client
    if not settings.REDIS_URL:
        return None
    with _client_lock:
        if _client is None:
            import redis
            from redis.backoff import NoBackoff
            from redis.retry import Retry

            # No retries: a timed-out script may have run, and running it again would count a
            # whole interval's requests twice; a lost interval is the lesser harm for metrics.
            _client = redis.Redis.from_url(
                settings.REDIS_URL,
                socket_connect_timeout=1,
                socket_timeout=1,
                retry=Retry(NoBackoff(), 0),
            )
        return _client


def _key(minute: int) -> str:
    return f"{settings.OPERATIONS_METRICS_PREFIX}:{minute}"


def _fields(group: str, status: int, ms: float) -> list[str]:
    bucket = bisect_left(BOUNDS_MS, ms)
    return [f"{group}|n", f"{group}|s{status // 100}", f"{group}|b{bucket}"]


# A minute's row in one command (a pipeline cost more CPU to pack and parse than the rest of a
# request's metrics): KEYS[1] = the minute's hash, ARGV = its lifetime, then field and amount
# pairs.
_RECORD_SCRIPT = """
for i = 2, #ARGV, 2 do redis.call('HINCRBY', KEYS[1], ARGV[i], ARGV[i + 1]) end
redis.call('EXPIRE', KEYS[1], ARGV[1])
"""
_scripts: dict[int, object] = {}


def _script(client):
    script = _scripts.get(id(client))
    if script is None:
        script = _scripts.setdefault(id(client), client.register_script(_RECORD_SCRIPT))
    return script


def record(group: str, status: int, seconds: float, *, now: float | None = None) -> None:
    """Count one request of ``group`` that answered ``status`` after ``seconds``."""
    ms = seconds * 1000
    minute = int((now or time.time()) // 60)
    fields = _fields(group, status, ms)
    try:
        client = _redis()
        if client is None:
            with _memory_lock:
                row = _memory[_key(minute)]
                for field in fields:
                    row[field] += 1
                row[f"{group}|ms"] += round(ms)
            return
        with _pending_lock:
            if _sender_pid != os.getpid() and settings.OPERATIONS_METRICS_FLUSH_S > 0:
                _start_sender()
            row = _pending[_key(minute)]
            for field in fields:
                row[field] += 1
            row[f"{group}|ms"] += round(ms)
        if _due():
            flush()
    except Exception:  # metrics are never worth a failed request
        logger.debug("request metrics not recorded", exc_info=True)


def _start_sender() -> None:
    """A daemon thread that sends what this process holds every interval, so the counts of a
    process that goes quiet after a burst still arrive. Called with the pending lock held."""
    global _sender_pid
    _sender_pid = os.getpid()

    def send_every_interval() -> None:
        while True:
            # At least once a second: the interval is read again each time (tests change it).
            time.sleep(min(max(settings.OPERATIONS_METRICS_FLUSH_S, 0.05), 1.0))
            if _due():
                flush()

    threading.Thread(target=send_every_interval, name="request-metrics", daemon=True).start()


def _due() -> bool:
    """The interval since this process last sent its counts is over."""
    return time.monotonic() - _last_flush >= settings.OPERATIONS_METRICS_FLUSH_S


def _send(client, rows: dict[str, dict[str, int]]) -> None:
    script = _script(client)
    for key, counts in rows.items():
        pairs = [item for field_amount in counts.items() for item in field_amount]
        script(keys=[key], args=[KEEP_S, *pairs])


def flush() -> None:
    """Send this process's counts now (before reading the rows, and when the process exits)."""
    global _pending, _last_flush
    with _pending_lock:
        due, _pending, _last_flush = _pending, _new_pending(), time.monotonic()
    if not due:
        return
    try:
        client = _redis()
        if client is not None:
            _send(client, due)
    except Exception:  # metrics are never worth a failure elsewhere
        logger.debug("request metrics not sent", exc_info=True)


atexit.register(flush)


def minutes(first: int, count: int) -> list[dict[str, int]]:
    """The recorded rows of ``count`` minutes from minute ``first`` (epoch minutes)."""
    keys = [_key(first + i) for i in range(count)]
    flush()
    client = _redis()
    if client is None:
        with _memory_lock:
            return [dict(_memory.get(k, {})) for k in keys]
    pipe = client.pipeline(transaction=False)
    for key in keys:
        pipe.hgetall(key)
    return [{field.decode(): int(value) for field, value in row.items()} for row in pipe.execute()]


def percentile_ms(histogram: list[int], q: float) -> float | None:
    """The upper bound of the bucket holding the ``q`` quantile (None without data; the last,
    open bucket reports its lower bound)."""
    total = sum(histogram)
    if not total:
        return None
    rank, seen = q * total, 0
    for index, count in enumerate(histogram):
        seen += count
        if seen >= rank:
            return float(BOUNDS_MS[min(index, len(BOUNDS_MS) - 1)])
    return float(BOUNDS_MS[-1])


class RequestMetricsMiddleware:
    """Times every API request and records it (``record``); placed first, so the time covers
    authentication, throttling, the view and the error handling (for a streamed answer: the
    time until the response starts).

    The record is written when the server closes the response, after the answer has been
    sent: its Redis round trip is not part of the client's wait (a scoring request makes a
    dozen round trips; on a busy two-core machine each can cost a millisecond or more)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        group = group_of(request.path)
        if group is None:
            return self.get_response(request)
        started = time.monotonic()
        response = self.get_response(request)
        elapsed, status = time.monotonic() - started, response.status_code
        # HttpResponseBase.close() (called by the WSGI server once the body is written, and by
        # Django's test client) runs these closers; there is no public hook with the response.
        response._resource_closers.append(lambda: record(group, status, elapsed))
        return response
