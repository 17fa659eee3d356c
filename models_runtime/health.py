"""The readiness check for the inference pools (READINESS_CHECKS["inference_worker"])."""

from celery import current_app

from . import routing


def check_inference_worker() -> dict:
    """Which worker consumes each inference queue that a configured model is served from.

    Ready while at least one inference queue has a worker: the web keeps serving the models
    whose pools answer (killing the chat pool leaves embeddings answering), and the answer names
    the queues no worker consumes (their requests wait in the broker, then time out or get 429).
    """
    app = current_app  # the project's Celery app, which the library never imports by name
    if app.conf.task_always_eager:
        return {"mode": "in-process (no broker configured)"}

    replies = app.control.inspect(timeout=1.0).active_queues() or {}
    consumers = {
        queue: sorted(
            name for name, queues in replies.items() if any(q["name"] == queue for q in queues)
        )
        for queue in routing.served_queues()
    }
    if not any(consumers.values()):
        raise RuntimeError(
            "no worker consumes the inference queues " + ", ".join(sorted(consumers))
        )
    return {
        "workers": sorted({name for names in consumers.values() for name in names}),
        "queues": consumers,
        "queues_without_worker": sorted(q for q, names in consumers.items() if not names),
    }
