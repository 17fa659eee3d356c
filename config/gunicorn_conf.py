"""gunicorn settings for `make run`, the Dockerfile and Kubernetes (`-c config/gunicorn_conf.py`).

The access log records the path without its query string (``%(U)s``, not ``%(r)s``) and no
referrer: query strings and referrers carry card numbers, e-mail addresses and search terms,
and the access log does not go through the platform's masking log filter.
"""

import os
import threading
import time
from pathlib import Path

access_log_format = '%(h)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(b)s %(M)sms "%(a)s"'


def worker_int(worker):
    """SIGINT or SIGQUIT (Ctrl-C, gunicorn's quick shutdown): leave at once. gunicorn's own
    ``sys.exit(0)`` would wait for the model threads that are not daemons (a batcher,
    transformers' decoding loop) until the master kills the worker after ``graceful_timeout``
    (30 s, "Worker was sent SIGKILL! Perhaps out of memory?"). SIGTERM stays graceful. The
    request counts this worker holds for the operator console are sent first."""
    _send_request_metrics()
    os._exit(0)


def worker_exit(server, worker):
    """A worker that stops gracefully sends the request counts it holds (atexit does too, once
    every other thread has ended; this runs before that wait)."""
    _send_request_metrics()


def _send_request_metrics() -> None:
    try:
        from apps.operations import recorder

        recorder.flush()
    except Exception:  # noqa: BLE001 - a worker must stop whatever the metrics do
        pass


def post_worker_init(worker):
    """With tasks in-process (no REDIS_URL) each web worker serves the models itself: under
    ``make run`` (``WEB_WARM_MODELS``) it loads them and runs each once in the background, so
    the first request pays no load, then leaves a file in ``WEB_WARM_MARKERS`` for the banner."""
    names = [name for name in os.environ.get("WEB_WARM_MODELS", "").split(",") if name]
    if names and not os.environ.get("REDIS_URL"):
        warm = threading.Thread(target=_warm, args=(worker, names), name="warm-models", daemon=True)
        warm.start()


def _warm(worker, names: list[str]) -> None:
    from models_runtime.tasks import runtime

    started = time.monotonic()
    rt = runtime()
    for name in names:
        try:
            task = rt.registry.spec(name).task
            if task == "chat":
                rt.chat(name, [{"role": "user", "content": "Hello"}], max_new_tokens=4)
            elif task == "embed":
                rt.embed(name, ["hello"])
            else:
                rt.batcher(name)
        except Exception as exc:  # a model that cannot load fails its requests, not the worker
            worker.log.warning("warming %s failed: %s", name, exc)
    worker.log.info("models warm in %.1f s: %s", time.monotonic() - started, ", ".join(names))
    markers = os.environ.get("WEB_WARM_MARKERS")
    if markers:
        Path(markers, str(os.getpid())).touch()
