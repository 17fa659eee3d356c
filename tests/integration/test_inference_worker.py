"""A real inference worker process on Redis: concurrent requests are served in batches larger
than one (read from the worker's own record), the worker meters them (written in the
background, and at the latest when it stops), streaming crosses processes over Redis pub/sub,
and /readyz reports whether an inference worker answers."""

from __future__ import annotations

import socket
import threading
import urllib.request

import pytest
from django.db import connection

from apps.accounts.models import QuotaMetric, UsageCounter
from apps.accounts.roles import Role
from config.celery import app as celery_app
from models_runtime.models import ModelUsage
from models_runtime.testing import parse_chat_sse
from tests.workers import celery_worker, real_broker

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _concurrently(count, call):
    results, errors = [None] * count, []
    barrier = threading.Barrier(count)

    def run(index):
        try:
            barrier.wait()
            results[index] = call(index)
        except Exception as exc:  # reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    return results


def test_concurrent_requests_are_batched_by_the_worker(tenant, make_api_client, admin_client):
    from models_runtime.tasks import status_task

    api = make_api_client(tenant, Role.AGENT)
    token = api.token

    def embed(index):
        from rest_framework.test import APIClient

        own = APIClient()
        own.credentials(HTTP_AUTHORIZATION=f"Api-Key {token}")
        response = own.post(
            "/api/v1/inference/embed",
            {"texts": [f"where is parcel number {index}?"], "cache": False},
            format="json",
        )
        assert response.status_code == 200, response.content
        return response.json()

    metrics_port = _free_port()
    with (
        celery_worker(
            "inference",
            pool="threads",
            concurrency=32,
            MODELS_RUNTIME_METRICS_PORT=str(metrics_port),
        ) as (_proc, log),
        real_broker(celery_app),
    ):
        ready = admin_client.get("/readyz").json()  # the details are for staff
        assert ready["checks"]["inference_worker"]["ok"] is True, ready
        warm_up = embed(-1)  # load the model before the concurrent burst
        results = _concurrently(12, embed)
        stats = status_task.apply_async(queue="inference.embed").get(timeout=30)
        metrics = urllib.request.urlopen(f"http://127.0.0.1:{metrics_port}/metrics").read().decode()

    assert all(len(r["embeddings"][0]) == 384 for r in results)
    # Metered by the worker, not by the web process: one row with all 13 requests, and the
    # tenant's token counter, written by the time the worker has stopped.
    usage = ModelUsage.objects.get(tenant_id=tenant.pk, model="embed")
    assert usage.requests == 13
    assert usage.tokens_in == sum(r["usage"]["tokens_in"] for r in [warm_up, *results])
    counter = UsageCounter.objects.get(tenant=tenant, metric=QuotaMetric.MODEL_TOKENS_PER_DAY)
    assert counter.value == usage.tokens_in
    record = stats["stats"]["embed"]
    batch_sizes = {int(size) for size in record["batch_size_histogram"]}
    assert max(batch_sizes) > 1, record
    assert max(r["timings"]["batch_size"] for r in results) > 1
    # The worker's Prometheus metrics, in base units.
    assert 'models_runtime_requests_total{model="embed",outcome="success"} 13.0' in metrics
    for name in (
        "models_runtime_queue_seconds_bucket",
        "models_runtime_compute_seconds_bucket",
        "models_runtime_batch_size_bucket",
        "models_runtime_queue_depth",
        'models_runtime_tokens_total{direction="in",model="embed"}',
    ):
        assert name in metrics, name


def test_chat_streams_across_processes(tenant, make_api_client):

    api = make_api_client(tenant, Role.AGENT)
    with celery_worker("inference", pool="threads", concurrency=8), real_broker(celery_app):
        response = api.post(
            "/api/v1/inference/chat",
            {
                "messages": [{"role": "user", "content": "Name three colours."}],
                "max_new_tokens": 16,
                "stream": True,
            },
            format="json",
        )
        assert response.status_code == 200
        text = b"".join(response.streaming_content).decode()
    deltas, done = parse_chat_sse(text)
    assert len(deltas) > 1
    assert "".join(deltas) == done["message"]["content"]


def test_readyz_says_when_no_inference_worker_answers(admin_client, settings):
    import os

    settings.REDIS_URL = os.environ["REDIS_URL"]
    settings.CELERY_TASK_ALWAYS_EAGER = False
    with real_broker(celery_app):
        response = admin_client.get("/readyz")
    assert response.status_code == 503
    check = response.json()["checks"]["inference_worker"]
    assert check["ok"] is False and "inference" in check["error"]
