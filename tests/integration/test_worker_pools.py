"""Queues per model group, worker pools per device (contract 4): two real worker processes.

The chat pool consumes ``inference.chat`` only, the CPU pool ``inference.embed`` and
``inference.classify``. Each serves its own models (the CPU pool never loads chat, even when told
to warm it), the broker's queue lengths and time to first token reach /metrics, and killing the
chat pool leaves embeddings answering while chat requests wait in their own queue, then time out,
then meet backpressure (429) on that queue alone.
"""

from __future__ import annotations

import re
import socket
import urllib.request

import pytest

from apps.accounts.roles import Role
from config.celery import app as celery_app
from models_runtime import client as inference
from models_runtime import errors
from models_runtime.tasks import status_task
from tests.workers import celery_worker, real_broker

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _scrape(port: int) -> str:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as reply:
        return reply.read().decode()


def _sample(text: str, name: str, **labels) -> float | None:
    wanted = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
    match = re.search(rf"^{re.escape(name)}\{{{re.escape(wanted)}\}} (\S+)$", text, re.M)
    return float(match.group(1)) if match else None


def _chat(api, content: str):
    return api.post(
        "/api/v1/inference/chat",
        {"messages": [{"role": "user", "content": content}], "max_new_tokens": 4, "cache": False},
        format="json",
    )


def _embed(api, text: str):
    return api.post("/api/v1/inference/embed", {"texts": [text], "cache": False}, format="json")


def test_chat_and_embeddings_on_separate_pools_and_a_dead_chat_pool(
    tenant, make_api_client, client, admin_client, settings
):
    api = make_api_client(tenant, Role.AGENT)
    chat_port, cpu_port = _free_port(), _free_port()
    with real_broker(celery_app):
        celery_app.control.purge()  # nothing left over from an earlier test in this Redis db
        with (
            celery_worker(
                "inference.chat",
                pool="threads",
                concurrency=4,
                MODELS_RUNTIME_METRICS_PORT=str(chat_port),
                MODELS_RUNTIME_WARM="chat",
            ) as (chat_pool, _chat_log),
            celery_worker(
                "inference.embed,inference.classify",
                pool="threads",
                concurrency=8,
                MODELS_RUNTIME_METRICS_PORT=str(cpu_port),
                MODELS_RUNTIME_WARM="chat,embed",  # chat is not on its queues: never loaded
            ) as (_cpu_pool, cpu_log),
        ):
            ready = admin_client.get("/readyz").json()["checks"]["inference_worker"]
            assert ready["ok"] is True, ready
            assert ready["queues_without_worker"] == [], ready
            assert len(ready["queues"]["inference.chat"]) == 1
            assert ready["queues"]["inference.chat"] != ready["queues"]["inference.embed"]

            answered = _chat(api, "Say hello.")
            assert answered.status_code == 200, answered.content
            streamed = api.post(
                "/api/v1/inference/chat",
                {
                    "messages": [{"role": "user", "content": "Hi."}],
                    "max_new_tokens": 4,
                    "cache": False,
                    "stream": True,
                },
                format="json",
            )
            assert b"event: done" in b"".join(streamed.streaming_content)
            assert _embed(api, "where is my parcel?").status_code == 200

            # Each pool answers for its own queue with its own models.
            cpu_models = {
                m["name"]: m["loaded"]
                for m in status_task.apply_async(queue="inference.embed").get(timeout=30)["models"]
            }
            chat_models = {
                m["name"]: m["loaded"]
                for m in status_task.apply_async(queue="inference.chat").get(timeout=30)["models"]
            }
            assert cpu_models["embed"] is True and cpu_models["chat"] is False, cpu_log
            assert chat_models["chat"] is True and chat_models["embed"] is False

            chat_metrics = _scrape(chat_port)
            ttft = "models_runtime_time_to_first_token_seconds_count"
            assert _sample(chat_metrics, ttft, model="chat") == 2.0
            for name in ("inter_token_latency", "e2e_request_latency"):
                count = f"models_runtime_{name}_seconds_count"
                assert _sample(chat_metrics, count, model="chat") == 2.0, name
            # The web's /metrics: time to first token as the streaming caller saw it.
            web_ttft = _sample(client.get("/metrics").content.decode(), ttft, model="chat")
            assert web_ttft is not None and web_ttft >= 1
            assert _sample(_scrape(cpu_port), ttft, model="chat") is None

            # The chat pool dies; embeddings keep answering from the CPU pool.
            chat_pool.kill()
            chat_pool.wait(timeout=30)
            for i in range(3):
                response = _embed(api, f"still answering {i}?")
                assert response.status_code == 200, response.content

            # A chat request now waits in inference.chat (no consumer) and times out ...
            with pytest.raises(errors.RequestTimeout):
                inference.chat("Anyone there?", tenant_id=tenant.pk, timeout_s=1, use_cache=False)
            assert inference.queued_requests("inference.chat") >= 1
            assert inference.queued_requests("inference.embed") == 0
            # ... the web's /metrics shows that backlog per queue ...
            web_metrics = client.get("/metrics").content.decode()
            backlog = _sample(
                web_metrics, "models_runtime_broker_queue_length", queue="inference.chat"
            )
            assert backlog is not None and backlog >= 1, web_metrics[-2000:]
            assert (
                _sample(web_metrics, "models_runtime_broker_queue_length", queue="inference.embed")
                == 0
            )
            # ... and backpressure is per queue: a full chat queue refuses chat, not embeddings.
            settings.INFERENCE_MAX_QUEUED = 1
            refused = _chat(api, "And now?")
            assert refused.status_code == 429, refused.content
            assert refused["Retry-After"]
            assert _embed(api, "embeddings are not refused").status_code == 200

            ready = admin_client.get("/readyz").json()["checks"]["inference_worker"]
            assert ready["ok"] is True and ready["queues_without_worker"] == ["inference.chat"]
        celery_app.control.purge()
