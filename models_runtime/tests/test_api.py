"""The REST layer and client in in-process mode (no broker): embeddings, chat, caching per
tenant, metering, audit, bad input, backpressure, streaming and the async form."""

from __future__ import annotations

import json

import pytest

from apps.accounts.models import QuotaMetric, UsageCounter
from apps.accounts.roles import Role
from apps.audit.models import AuditEvent
from models_runtime.models import ModelUsage
from models_runtime.testing import parse_chat_sse

pytestmark = pytest.mark.django_db


@pytest.fixture
def agent(tenant, make_api_client):
    return make_api_client(tenant, Role.AGENT)


def test_embed_returns_vectors_with_model_details_and_is_audited(agent, tenant):
    response = agent.post(
        "/api/v1/inference/embed", {"texts": ["cancel my order", "refund please"]}, format="json"
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert len(body["embeddings"]) == 2 and len(body["embeddings"][0]) == 384
    assert body["model"] == "embed" and body["revision"].startswith("sha256:")
    assert body["timings"]["batch_size"] >= 1 and body["cached"] is False
    event = AuditEvent.objects.get(tenant=tenant, action="inference.embed")
    assert event.model_name == "embed" and event.model_revision == body["revision"]
    assert event.input_digest and "cancel" not in json.dumps(event.details)


def test_results_are_cached_per_tenant(agent, tenant, other_tenant, make_api_client):
    payload = {"texts": ["where is my parcel"]}
    first = agent.post("/api/v1/inference/embed", payload, format="json").json()
    again = agent.post("/api/v1/inference/embed", payload, format="json").json()
    assert (first["cached"], again["cached"]) == (False, True)
    assert again["embeddings"] == first["embeddings"]
    other = make_api_client(other_tenant, Role.AGENT)
    assert other.post("/api/v1/inference/embed", payload, format="json").json()["cached"] is False
    bypass = agent.post("/api/v1/inference/embed", {**payload, "cache": False}, format="json")
    assert bypass.json()["cached"] is False


def test_chat_answers_and_meters_tokens(agent, tenant):
    response = agent.post(
        "/api/v1/inference/chat",
        {"messages": [{"role": "user", "content": "Say hello."}], "max_new_tokens": 8},
        format="json",
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["message"]["role"] == "assistant" and body["message"]["content"]
    assert 0 < body["usage"]["tokens_out"] <= 8
    usage = ModelUsage.objects.get(tenant_id=tenant.pk, model="chat")
    assert usage.tokens_out == body["usage"]["tokens_out"] and usage.compute_seconds > 0
    tokens = UsageCounter.objects.get(tenant=tenant, metric=QuotaMetric.MODEL_TOKENS_PER_DAY)
    assert tokens.value == body["usage"]["tokens_in"] + body["usage"]["tokens_out"]


def test_sampled_chat_is_never_cached(agent):
    payload = {
        "messages": [{"role": "user", "content": "Pick a colour."}],
        "max_new_tokens": 4,
        "temperature": 0.9,
    }
    for _ in range(2):
        assert (
            agent.post("/api/v1/inference/chat", payload, format="json").json()["cached"] is False
        )


def test_model_quota_is_enforced(agent, tenant):
    from apps.accounts.models import Quota

    Quota.objects.create(tenant=tenant, metric=QuotaMetric.MODEL_TOKENS_PER_DAY, limit=1)
    UsageCounter.objects.create(
        tenant=tenant,
        metric=QuotaMetric.MODEL_TOKENS_PER_DAY,
        day=__import__("django.utils.timezone", fromlist=["now"]).now().date(),
        value=5,
    )
    response = agent.post("/api/v1/inference/embed", {"texts": ["x"]}, format="json")
    assert response.status_code == 429
    assert response.json()["quota"] == "model_tokens_per_day"


@pytest.mark.parametrize(
    "payload,field",
    [
        ({"texts": []}, "texts"),
        ({"texts": ["  "]}, "texts"),
        ({"texts": "one string"}, "texts"),
        ({"texts": ["ok"], "model": "no-such-model"}, "model"),
        ({"texts": ["word " * 2000]}, "texts"),
    ],
)
def test_bad_embed_input_is_a_400_naming_the_field(agent, payload, field):
    response = agent.post("/api/v1/inference/embed", payload, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()["errors"]


def test_bad_chat_input(agent):
    response = agent.post(
        "/api/v1/inference/chat",
        {"messages": [{"role": "wizard", "content": "x"}], "temperature": 9},
        format="json",
    )
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"messages.0.role", "temperature"}


def test_backpressure_answers_429_with_retry_after(agent, settings, monkeypatch):
    from models_runtime import admission

    full = {"inference.embed": settings.INFERENCE_MAX_QUEUED}
    monkeypatch.setattr(admission, "queued_requests", lambda queue: full.get(queue, 0))
    response = agent.post(
        "/api/v1/inference/embed", {"texts": ["x"], "cache": False}, format="json"
    )
    assert response.status_code == 429
    assert response["Retry-After"] == str(settings.INFERENCE_RETRY_AFTER_S)
    # Per queue: the chat queue is not full, so chat is still admitted.
    response = agent.post(
        "/api/v1/inference/chat",
        {"messages": [{"role": "user", "content": "hi"}], "max_new_tokens": 2, "cache": False},
        format="json",
    )
    assert response.status_code == 200, response.content


def test_chat_streams_server_sent_events(agent, tenant):
    response = agent.post(
        "/api/v1/inference/chat",
        {
            "messages": [{"role": "user", "content": "Count to five."}],
            "max_new_tokens": 12,
            "stream": True,
        },
        format="json",
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "text/event-stream"
    text = b"".join(response.streaming_content).decode()
    deltas, done = parse_chat_sse(text)
    assert len(deltas) > 1
    assert "".join(deltas) == done["message"]["content"]
    assert AuditEvent.objects.filter(tenant=tenant, action="inference.chat").exists()


def test_auditors_cannot_call_models(tenant, make_api_client):
    auditor = make_api_client(tenant, Role.AUDITOR)
    assert (
        auditor.post("/api/v1/inference/embed", {"texts": ["x"]}, format="json").status_code == 403
    )


def test_models_endpoint_lists_specs(agent):
    body = agent.get("/api/v1/models/").json()
    names = {m["name"]: m for m in body["results"]}
    assert {"chat", "embed"} <= set(names)
    assert names["embed"]["task"] == "embed" and names["chat"]["max_batch_size"] == 16


@pytest.mark.django_db(transaction=True)
def test_async_form_returns_a_job(tenant, make_api_client):
    from models_runtime import client

    job = client.chat_job("Say yes.", tenant=tenant, max_new_tokens=4)
    job.refresh_from_db()
    assert job.state == "succeeded", job.error
    assert job.result["outputs"][0]["text"]
