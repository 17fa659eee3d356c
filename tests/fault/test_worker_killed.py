"""kill -9 of the inference worker in the middle of a batch: once a new worker starts, every
accepted request completes exactly once (each caller gets its own answer, the metered usage
counts each request once) within twice the visibility timeout; none disappears."""

from __future__ import annotations

import json
import signal
import threading
import time

import pytest
import redis as redis_lib
from django.db import connection

from config.celery import app as celery_app
from models_runtime import client, streams
from models_runtime.models import ModelUsage
from tests.fault.support import (
    VISIBILITY_TIMEOUT_S,
    HoldingModelServer,
    redis_server,
    wait_until,
    worker_settings,
)
from tests.workers import celery_worker, real_broker

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

MODEL = "fault-chat"
FIRST, HELD = 4, 6  # answered before the kill; held by the model while the worker dies


def _ask(tenant_id, prompt, outcomes, finished_at):
    try:
        result = client.chat(
            prompt, tenant_id=tenant_id, model=MODEL, use_cache=False, timeout_s=120
        )
        outcomes[prompt] = result.output["text"]
    except Exception as exc:  # a clear error is an allowed outcome; recorded and checked
        outcomes[prompt] = exc
    finally:
        finished_at[prompt] = time.monotonic()
        connection.close()


def test_killed_inference_worker_loses_and_repeats_nothing(tenant, settings, monkeypatch):
    with redis_server() as redis, HoldingModelServer() as model_server:
        monkeypatch.setenv("REDIS_URL", redis.url)
        settings.REDIS_URL = redis.url
        monkeypatch.setattr(streams, "_redis", None)  # backpressure reads this test's Redis
        env = worker_settings(
            redis.url,
            MODELS_RUNTIME_MODELS=json.dumps({MODEL: model_server.spec(max_batch_size=8)}),
            MODELS_RUNTIME_METER_FLUSH_S="0.2",
        )
        outcomes, finished_at, threads = {}, {}, []
        broker = redis_lib.Redis.from_url(redis.url)

        def send(prompt):
            thread = threading.Thread(
                target=_ask, args=(tenant.pk, prompt, outcomes, finished_at), daemon=True
            )
            thread.start()
            threads.append(thread)

        with (
            real_broker(celery_app),
            celery_worker("inference", pool="threads", concurrency=16, **env) as (old, _),
        ):
            for i in range(FIRST):
                send(f"first {i}")
            wait_until(lambda: len(outcomes) == FIRST, what="the first requests")
            # Their usage is metered (flushed) before the crash: it must not count twice.
            wait_until(lambda: _metered(tenant) == FIRST, what="the first requests' usage")
            for i in range(HELD):
                send(f"hold {i}")
            # A batch is in the model and every held request is in the worker (taken from the
            # queue, not acknowledged): the kill lands in the middle of the batch.
            wait_until(
                lambda: (
                    model_server.received_matching("hold") >= 1 and broker.hlen("unacked") == HELD
                ),
                what="the held requests to reach the worker and the model",
            )
            # The replacement starts first, as under a supervisor with several workers: its
            # start-up sweep finds nothing old enough, so only the periodic sweep can bring the
            # dead worker's messages back (kombu's default period was 100 s).
            with celery_worker("inference", pool="threads", concurrency=16, **env) as (_, log):
                old.send_signal(signal.SIGKILL)
                old.wait(timeout=30)
                killed_at = time.monotonic()
                model_server.release()  # the dead worker's model calls end; new ones pass at once
                for thread in threads:
                    thread.join(timeout=120)
            worker_log = log.read_text()  # the new worker stopped warm: its usage is written

    held = [f"hold {i}" for i in range(HELD)]
    errors = {p: o for p, o in outcomes.items() if isinstance(o, Exception)}
    assert not errors, (errors, worker_log[-3000:])
    # Every accepted request answered, each with its own answer.
    assert outcomes == {p: f"echo: {p}" for p in [*(f"first {i}" for i in range(FIRST)), *held]}
    # The batch in the model when the worker died was computed again by the new worker (the
    # crash really interrupted it); the finished requests were not.
    assert all(model_server.received[p] in (1, 2) for p in held), model_server.received
    assert sum(model_server.received[p] for p in held) > HELD, model_server.received
    assert all(model_server.received[f"first {i}"] == 1 for i in range(FIRST))
    # Side effects: each request metered exactly once.
    assert _metered(tenant) == FIRST + HELD
    # Redelivered and answered within twice the visibility timeout of the crash.
    slowest = max(finished_at[p] for p in held) - killed_at
    assert slowest <= 2 * VISIBILITY_TIMEOUT_S, slowest


def _metered(tenant) -> int:
    row = ModelUsage.objects.filter(tenant_id=tenant.pk, model=MODEL).first()
    return row.requests if row else 0
