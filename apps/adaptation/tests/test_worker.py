"""With a real inference worker on Redis: the training job runs on the ``inference`` queue,
the promoted adapter is then served by that worker to its tenant only."""

from __future__ import annotations

import json
import time

import pytest

from apps.accounts.roles import Role
from config.celery import app as celery_app
from tests.workers import celery_worker, real_broker

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def _wait_finished(job_id, limit_s=300):
    from apps.jobs.models import Job

    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        job = Job.objects.get(pk=job_id)
        if job.is_finished:
            return job
        time.sleep(0.5)
    raise AssertionError(f"job {job_id} did not finish: {job.state} {job.progress_message}")


def test_train_promote_and_chat_through_the_inference_worker(
    tenant, other_tenant, tiny_settings, make_api_client, tmp_path
):
    from knowledge.services.seeds import seed_graph_ensure

    from .factories import training_set

    seed_graph_ensure(tenant=tenant, seed="customer_service")
    uploaded = training_set(tenant)
    admin = make_api_client(tenant, Role.ADMIN)
    models = json.dumps(tiny_settings.MODELS_RUNTIME["models"])
    with (
        celery_worker(
            "inference",
            pool="threads",
            concurrency=4,
            MODELS_RUNTIME_MODELS=models,
            MODELS_CACHE_DIR=str(tmp_path / "worker-cache"),
        ) as (_proc, log),
        real_broker(celery_app),
    ):
        response = admin.post(
            "/api/v1/adaptation/adapters/",
            {
                "name": "shop",
                "base_model": "tiny",
                "sources": ["faq"],
                "training_set": str(uploaded.pk),
                "training_config": {"max_steps": 2, "eval_every": 1},
            },
            format="json",
        )
        assert response.status_code == 202, response.content
        job = _wait_finished(response.json()["id"])
        assert job.state == "succeeded", (job.error, log.read_text()[-3000:])
        assert "adapter_train_task" in log.read_text()  # the inference worker ran it
        adapter_id = job.result["adapter"]
        # The tiny model's figures may not improve: record an improvement to test serving.
        from apps.adaptation.models import AdapterVersion

        from .factories import IMPROVED

        AdapterVersion.objects.filter(pk=adapter_id).update(evaluation=IMPROVED)
        promoted = admin.post(f"/api/v1/adaptation/adapters/{adapter_id}/promote/")
        assert promoted.json()["state"] == "promoted", promoted.content

        body = {
            "model": "tiny",
            "adapter": "shop",
            "messages": [{"role": "user", "content": "Can I return boots?"}],
            "max_new_tokens": 4,
        }
        answer = make_api_client(tenant, Role.AGENT).post(
            "/api/v1/inference/chat", body, format="json"
        )
        assert answer.status_code == 200, answer.content
        assert answer.json()["adapter"]["digest"] == promoted.json()["digest"]
        stranger = make_api_client(other_tenant, Role.AGENT).post(
            "/api/v1/inference/chat", body, format="json"
        )
        assert stranger.status_code == 404
    assert "loaded LoRA adapter shop" in log.read_text()
