"""The test's redis-server restarts while a batch job waits on the inference worker: the job
finishes, its progress ends at done == total, and every item was processed."""

from __future__ import annotations

import json
from contextlib import ExitStack

import pytest

from apps.jobs.models import Job, JobState
from config.celery import app as celery_app
from knowledge.models import Node
from knowledge.services import graph_create, graph_upsert
from knowledge.services.jobs import EMBED_BATCH, node_embeddings_start, stale_embeddings
from models_runtime import streams
from tests.fault.support import HoldingModelServer, redis_server, wait_until, worker_settings
from tests.workers import celery_worker, real_broker

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

BATCHES = 6


def test_batch_job_survives_a_redis_restart(tenant, settings, monkeypatch):
    graph = graph_create(tenant=tenant, name="restart")
    graph_upsert(
        graph=graph,
        nodes=[
            {"key": f"n{i}", "type": "thing", "label": f"thing number {i}"}
            for i in range(BATCHES * EMBED_BATCH)
        ],
    )
    with redis_server() as redis, HoldingModelServer(embed_delay_s=0.05) as model_server:
        monkeypatch.setenv("REDIS_URL", redis.url)
        settings.REDIS_URL = redis.url
        monkeypatch.setattr(streams, "_redis", None)
        env = worker_settings(
            redis.url,
            MODELS_RUNTIME_MODELS=json.dumps({"embed": model_server.spec(task="embed")}),
            INFERENCE_TIMEOUT_S=20,
        )
        with ExitStack() as stack:
            stack.enter_context(real_broker(celery_app))
            inference, inference_log = stack.enter_context(
                celery_worker("inference", pool="threads", concurrency=8, **env)
            )
            _, default_log = stack.enter_context(celery_worker("default", **env))
            job = node_embeddings_start(graph=graph)

            def progress():
                job.refresh_from_db()
                return job.progress_done

            wait_until(lambda: progress() >= 2 * EMBED_BATCH, what="the job to be under way")
            # The next batch reaches the model and waits there while Redis restarts: the
            # inference task finishes after the restart, and the job waits on its answer.
            model_server.hold_embeddings()
            wait_until(lambda: model_server.embed_waiting == 1, what="a batch in the model")
            redis.restart()
            model_server.hold_embeddings(False)

            def finished_or_supervised():
                nonlocal inference, inference_log
                if inference.poll() is not None:
                    # docker-compose's restart policy (unless-stopped): a worker that exited
                    # is started again. Celery 5.7's threads-pool worker exits on a lost
                    # broker connection ("Unrecoverable error" in kombu's channel close).
                    restarts.append(inference_log.read_text()[-2000:])
                    inference, inference_log = stack.enter_context(
                        celery_worker("inference", pool="threads", concurrency=8, **env)
                    )
                return Job.objects.get(pk=job.pk).is_finished

            restarts = []
            wait_until(finished_or_supervised, timeout=180, interval=0.2, what="the job")
        logs = default_log.read_text()[-3000:] + inference_log.read_text()[-3000:]

    job.refresh_from_db()
    assert job.state == JobState.SUCCEEDED, (job.error, logs)
    assert job.progress_total and job.progress_done == job.progress_total, job.progress_done
    assert not stale_embeddings(graph).exists()
    assert Node.objects.filter(graph=graph).count() == BATCHES * EMBED_BATCH
    print(
        "attempts",
        job.attempts,
        "progress",
        job.progress_done,
        job.progress_total,
        "restarts",
        len(restarts),
    )
