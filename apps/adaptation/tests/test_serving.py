"""Serving adapters: the batcher never mixes adapters in one batch; the chat backend applies
each request's adapter to one base model; a tenant's adapter serves only that tenant (404)."""

from __future__ import annotations

import threading
from types import SimpleNamespace

import pytest

from models_runtime.batcher import DynamicBatcher


def _request(key):
    return SimpleNamespace(adapter_key=key)


def test_the_batcher_never_mixes_adapters_in_one_batch():
    batches, release = [], threading.Event()

    def run_batch(payloads):
        release.wait(5)  # hold the first batch so that the others queue up behind it
        batches.append([p.adapter_key for p in payloads])
        return [p.adapter_key for p in payloads]

    batcher = DynamicBatcher(
        "chat",
        run_batch,
        max_batch_size=4,
        max_batch_wait_ms=0,
        max_queue_depth=100,
        group_key=lambda p: p.adapter_key,
    )
    try:
        keys = [None, "a", "b", None, "a", "a", "b", None, "a", "a", "b", None, "a"]
        futures = [batcher.submit(_request(key)) for key in keys]
        release.set()
        outputs = [future.result(timeout=10).output for future in futures]
    finally:
        batcher.close()
    assert outputs == keys  # every request answered, with its own adapter
    assert all(len(set(batch)) == 1 for batch in batches), batches
    assert all(len(batch) <= 4 for batch in batches)
    assert sorted(k for batch in batches for k in batch if k) == sorted(k for k in keys if k)
    # requests of one adapter keep their order, and some batches did hold several requests
    assert any(len(batch) > 1 for batch in batches), batches


def test_without_a_group_key_requests_share_batches_as_before():
    seen = []
    batcher = DynamicBatcher(
        "embed",
        lambda p: seen.append(list(p)) or list(p),
        max_batch_size=8,
        max_batch_wait_ms=200,
        max_queue_depth=10,
    )
    try:
        futures = [batcher.submit(i) for i in range(3)]
        assert [f.result(timeout=10).output for f in futures] == [0, 1, 2]
    finally:
        batcher.close()
    assert seen == [[0, 1, 2]]


@pytest.mark.django_db
def test_the_backend_applies_each_requests_adapter_to_one_base_model(
    tiny_llama, tiny_runtime, tenant
):
    from models_runtime.adapters import adapter_folder, resolve
    from models_runtime.backends.base import ChatRequest

    from .factories import adapter_files_for, adapter_version

    adapter_version(
        tenant,
        name="one",
        base_model="tiny",
        state="promoted",
        files=adapter_files_for(tiny_llama, seed=1),
    )
    adapter_version(
        tenant,
        name="two",
        base_model="tiny",
        state="promoted",
        files=adapter_files_for(tiny_llama, seed=2),
    )
    one = resolve(tenant_id=tenant.pk, name="one", model="tiny")
    two = resolve(tenant_id=tenant.pk, name="two", model="tiny")
    for ref in (one, two):  # as the worker's task does before it queues the request
        adapter_folder(ref)
    backend = tiny_runtime.registry.get("tiny")
    question = ChatRequest.build("Where is my order?", max_new_tokens=6)

    def answer(adapter):
        request = (
            question
            if adapter is None
            else ChatRequest.build("Where is my order?", max_new_tokens=6)
        )
        if adapter is not None:
            import dataclasses

            request = dataclasses.replace(request, adapter=adapter)
        return tiny_runtime.run("tiny", request).output.text

    base_before = answer(None)
    with_one, with_two = answer(one), answer(two)
    assert len({base_before, with_one, with_two}) == 3
    assert answer(None) == base_before  # the base is untouched by loaded adapters
    assert answer(one) == with_one
    assert tiny_runtime.registry.load_counts["tiny"] == 1  # one copy of the base model
    assert set(backend._adapters_loaded) == {one.key, two.key}
    import dataclasses

    from models_runtime.errors import BackendError

    with pytest.raises(BackendError, match="one batch with adapters"):
        backend.run_batch([dataclasses.replace(question, adapter=one), question])


@pytest.mark.django_db
def test_chat_api_serves_a_tenants_adapter_only_to_that_tenant(
    tiny_llama, tiny_runtime, tenant, other_tenant, make_api_client
):
    from apps.audit.models import AuditEvent

    from .factories import adapter_files_for, adapter_version

    files = adapter_files_for(tiny_llama, seed=1)
    mine = adapter_version(tenant, name="shop", base_model="tiny", state="promoted", files=files)
    adapter_version(other_tenant, name="theirs", base_model="tiny", state="promoted", files=files)
    adapter_version(tenant, name="draft-only", base_model="tiny", files=files)
    client = make_api_client(tenant, "agent")
    body = {
        "model": "tiny",
        "messages": [{"role": "user", "content": "Hello"}],
        "max_new_tokens": 5,
    }

    base = client.post("/api/v1/inference/chat", body, format="json")
    adapted = client.post("/api/v1/inference/chat", {**body, "adapter": "shop"}, format="json")
    assert base.status_code == 200 and adapted.status_code == 200, adapted.content
    assert "adapter" not in base.json()
    assert adapted.json()["adapter"] == {"name": "shop", "digest": mine.digest}
    assert adapted.json()["message"]["content"] != base.json()["message"]["content"]
    events = AuditEvent.objects.filter(tenant=tenant, action="inference.chat").order_by("seq")
    assert [e.details.get("adapter") for e in events] == [
        None,
        {"name": "shop", "digest": mine.digest},
    ]

    for name in ("theirs", "draft-only", "nope"):
        refused = client.post("/api/v1/inference/chat", {**body, "adapter": name}, format="json")
        assert refused.status_code == 404, (name, refused.content)
        assert refused.json()["status"] == 404
    wrong_model = client.post(
        "/api/v1/inference/chat", {**body, "model": "chat", "adapter": "shop"}, format="json"
    )
    assert wrong_model.status_code == 404
    bad_name = client.post("/api/v1/inference/chat", {**body, "adapter": "../x"}, format="json")
    assert bad_name.status_code == 400 and "adapter" in bad_name.json()["errors"]


@pytest.mark.django_db
def test_the_worker_resolves_the_adapter_with_the_tasks_tenant(
    tiny_llama, tiny_runtime, tenant, other_tenant
):
    """Even a payload sent straight to the worker gets only its own tenant's adapter."""
    from models_runtime.tasks import infer_task

    from .factories import adapter_files_for, adapter_version

    adapter_version(
        other_tenant,
        name="theirs",
        base_model="tiny",
        state="promoted",
        files=adapter_files_for(tiny_llama, seed=1),
    )
    data = infer_task.run(
        model="tiny",
        kind="chat",
        payload={"messages": [{"role": "user", "content": "hi"}], "adapter": "theirs"},
        tenant_id=str(tenant.pk),
    )
    assert data["ok"] is False and data["error"]["type"] == "UnknownAdapter"


@pytest.mark.django_db
def test_customer_service_replies_use_the_tenants_promoted_shop_adapter(
    tiny_llama, tiny_runtime, tenant, other_tenant, settings
):
    """The customer-service reply (its one chat call site) adds ``adapter`` when the tenant
    serves one named CUSTOMER_SERVICE_CHAT_ADAPTER ("shop"); other tenants get the base model."""
    from apps.customer_service.services.replies import generate

    from .factories import adapter_files_for, adapter_version

    settings.CUSTOMER_SERVICE_CHAT_MODEL = "tiny"
    settings.CUSTOMER_SERVICE_REPLY_MAX_NEW_TOKENS = 4
    settings.CUSTOMER_SERVICE_MODEL_CACHE = False
    mine = adapter_version(
        tenant,
        name="shop",
        base_model="tiny",
        state="promoted",
        files=adapter_files_for(tiny_llama, seed=1),
    )
    messages = [{"role": "user", "content": "Can I return boots?"}]
    adapted = generate(messages, tenant=tenant)
    assert adapted.extra["adapter"] == {"name": "shop", "digest": mine.digest}
    assert "adapter" not in generate(messages, tenant=other_tenant).extra
    settings.CUSTOMER_SERVICE_CHAT_ADAPTER = ""
    assert "adapter" not in generate(messages, tenant=tenant).extra
