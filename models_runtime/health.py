"""The readiness check for the inference worker (READINESS_CHECKS["inference_worker"])."""


def check_inference_worker() -> dict:
    """Some worker consumes the ``inference`` queue and answers within a second."""
    from config.celery import app

    if app.conf.task_always_eager:
        return {"mode": "in-process (no broker configured)"}

    replies = app.control.inspect(timeout=1.0).active_queues() or {}
    workers = sorted(
        name for name, queues in replies.items() if any(q["name"] == "inference" for q in queues)
    )
    if not workers:
        raise RuntimeError("no worker consumes the inference queue")
    return {"workers": workers}
