"""Start real Celery worker processes for integration tests, against the test database."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

from django.db import connection

from config.celery import INFERENCE_QUEUES

ROOT = Path(__file__).resolve().parents[1]


def worker_env(**extra) -> dict:
    """Environment for a worker that shares this test run's database and Redis."""
    db = connection.settings_dict
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.test",
        TEST_REAL_BROKER="1",
        DATABASE_URL=(
            f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
        ),
        REDIS_URL=os.environ["REDIS_URL"],
        PYTHONUNBUFFERED="1",
    )
    env.update(extra)
    return env


@contextmanager
def celery_worker(
    queue: str = "default",
    *,
    pool: str = "solo",
    concurrency: int = 1,
    extra_args: tuple[str, ...] = (),
    **env,
):
    """Run ``celery worker`` on ``queue`` until the block ends; yields (process, log path).

    ``queue`` may be a comma-separated list; ``"inference"`` stands for every queue of the
    inference pools (``inference.chat,inference.embed,inference.classify,training``): one worker
    serving every model, as on a single machine.
    ``extra_args`` go to ``celery worker`` (e.g. ``("--include", "tests.fault.tasks")``)."""
    if queue == "inference":
        queue = ",".join((*INFERENCE_QUEUES, "training"))
    label = queue.split(",")[0].replace(".", "-") + ("-etc" if "," in queue else "")
    name = f"test-{label}-{uuid.uuid4().hex[:8]}@%h"
    log = Path(os.environ.get("TMPDIR", "/tmp")) / f"celery-{uuid.uuid4().hex[:8]}.log"
    cmd = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "config",
        "worker",
        "-Q",
        queue,
        "-n",
        name,
        "-P",
        pool,
        "-c",
        str(concurrency),
        "--loglevel",
        "INFO",
        "--without-gossip",
        "--without-mingle",
        "--without-heartbeat",
        *extra_args,
    ]
    with open(log, "w") as out:
        proc = subprocess.Popen(cmd, cwd=ROOT, env=worker_env(**env), stdout=out, stderr=out)
    try:
        _wait_ready(proc, log)
        yield proc, log
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _wait_ready(proc, log: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"worker exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
        if "ready." in log.read_text():
            return
        time.sleep(0.2)
    raise RuntimeError(f"worker not ready after {timeout}s:\n{log.read_text()[-3000:]}")


@contextmanager
def real_broker(app):
    """Make this (test) process publish to Redis instead of running tasks in-process."""
    saved = {k: app.conf[k] for k in ("task_always_eager", "broker_url", "result_backend")}
    app.conf.update(
        task_always_eager=False,
        broker_url=os.environ["REDIS_URL"],
        result_backend=os.environ["REDIS_URL"],
    )
    _drop_connections(app)  # connections made earlier went to the in-memory broker
    try:
        yield
    finally:
        app.conf.update(saved)
        _drop_connections(app)


def _drop_connections(app) -> None:
    """Forget broker connections and the result backend made under the previous settings
    (the backend is cached per thread: a stale in-memory one would wait for ever)."""
    app._pool = None
    app.amqp._producer_pool = None
    app._local.__dict__.pop("backend", None)
