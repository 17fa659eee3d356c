"""Where a streamed chat's chunks travel from the worker to the web process.

With Redis: a pub/sub channel per request (the web process subscribes before it sends the
task, so no chunk is missed). Without Redis (in-process tasks): a queue in this process.
"""

from __future__ import annotations

import json
import queue
import threading
import uuid

from django.conf import settings

_local_channels: dict[str, queue.Queue] = {}
_local_lock = threading.Lock()
_redis = None


def _redis_client():
    global _redis
    if _redis is None:
        import redis

        _redis = redis.Redis.from_url(settings.REDIS_URL)
    return _redis


def new_channel() -> str:
    return f"models_runtime:stream:{uuid.uuid4().hex}"


def _use_redis() -> bool:
    from celery import current_app

    return bool(settings.REDIS_URL) and not current_app.conf.task_always_eager


def publish(channel: str, event: dict) -> None:
    """Send one event ({"delta": text} or {"done": result} or {"error": ...})."""
    if _use_redis():
        _redis_client().publish(channel, json.dumps(event))
        return
    with _local_lock:
        target = _local_channels.get(channel)
    if target is not None:
        target.put(event)


class Subscription:
    """Iterate over a channel's events until a final one (done or error) or the timeout."""

    def __init__(self, channel: str, timeout_s: float):
        self.channel = channel
        self.timeout_s = timeout_s
        if _use_redis():
            self._pubsub = _redis_client().pubsub(ignore_subscribe_messages=True)
            self._pubsub.subscribe(channel)
            self._queue = None
        else:
            self._pubsub = None
            self._queue = queue.Queue()
            with _local_lock:
                _local_channels[channel] = self._queue

    def events(self):
        import time

        deadline = time.monotonic() + self.timeout_s
        try:
            while True:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    yield {"error": {"type": "RequestTimeout", "message": "stream timed out"}}
                    return
                event = self._next(min(remaining, 1.0))
                if event is None:
                    continue
                yield event
                if "done" in event or "error" in event:
                    return
        finally:
            self.close()

    def _next(self, wait_s: float):
        if self._queue is not None:
            try:
                return self._queue.get(timeout=wait_s)
            except queue.Empty:
                return None
        message = self._pubsub.get_message(timeout=wait_s)
        if message is None or message.get("type") != "message":
            return None
        return json.loads(message["data"])

    def close(self) -> None:
        if self._pubsub is not None:
            self._pubsub.close()
            self._pubsub = None
        with _local_lock:
            _local_channels.pop(self.channel, None)
