"""What a model call passes before it is sent: the tenant's model quota (a hook) and
backpressure (429 past INFERENCE_MAX_QUEUED requests waiting in the model's own queue), with
the broker figures these read (also on /metrics)."""

from __future__ import annotations

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


def check_backpressure(model: str) -> str:
    """429 when the model's own queue holds INFERENCE_MAX_QUEUED requests; returns the queue.
    Per queue: a backlog of chat requests never refuses an embedding."""
    queue = routing.queue_to_send(model)
    depth = queued_requests(queue)
    if depth >= settings.INFERENCE_MAX_QUEUED:
        REFUSED.labels(model, "queue_full").inc()
        raise errors.QueueFull(model, depth, settings.INFERENCE_RETRY_AFTER_S)
    return queue
