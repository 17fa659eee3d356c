"""The OpenAI-compatible backend against a stub server speaking the protocol on 127.0.0.1."""

import socket

import pytest

from models_runtime.backends import ChatRequest
from models_runtime.errors import BackendError, ModelLoadError
from models_runtime.registry import ModelRegistry
from models_runtime.runtime import InferenceRuntime
from models_runtime.specs import ModelSpec
from models_runtime.testing import OpenAIStubServer

WAIT = 30


@pytest.fixture(scope="module")
def stub():
    with OpenAIStubServer(slow_seconds=2.0) as server:
        yield server


@pytest.fixture
def runtime(stub, monkeypatch):
    monkeypatch.setenv("STUB_API_KEY", "sk-test-123")
    specs = [
        ModelSpec(
            name="remote-chat",
            task="chat",
            backend="openai",
            base_url=stub.base_url,
            api_model="deepseek-chat",
            api_key_env="STUB_API_KEY",
            max_batch_wait_ms=50,
            http_timeout_s=0.5,
        ),
        ModelSpec(
            name="remote-embed",
            task="embed",
            backend="openai",
            base_url=stub.base_url,
            api_model="bge-small",
            max_batch_wait_ms=50,
        ),
    ]
    runtime = InferenceRuntime(ModelRegistry(specs))
    yield runtime
    runtime.close()


def test_chat_round_trip(runtime, stub):
    outcome = runtime.chat("remote-chat", "hello there", max_new_tokens=12, stop=["\n\n"])
    result = outcome.output
    assert result.text == "echo: hello there"
    assert result.reasoning is None
    assert (result.tokens_in, result.tokens_out) == (2, 3)
    path, headers, body = stub.requests[-1]
    assert path == "/v1/chat/completions"
    assert headers["Authorization"] == "Bearer sk-test-123"
    assert body["model"] == "deepseek-chat"
    assert body["messages"] == [{"role": "user", "content": "hello there"}]
    assert (body["max_tokens"], body["stop"], body["temperature"]) == (12, ["\n\n"], 0.0)


def test_think_block_becomes_reasoning(runtime):
    result = runtime.chat("remote-chat", "please think").output
    assert result.reasoning == "about please think"
    assert result.text == "answer"


def test_server_error_fails_only_that_request(runtime):
    batcher = runtime.batcher("remote-chat")
    good = batcher.submit(ChatRequest.from_prompt("fine"))
    bad = batcher.submit(ChatRequest.from_prompt("please fail"))
    with pytest.raises(BackendError) as caught:
        bad.result(WAIT)
    assert caught.value.status_code == 500
    assert "answered 500: stub failure" in str(caught.value)
    assert good.result(WAIT).output.text == "echo: fine"


def test_timeout_is_a_backend_error(runtime):
    with pytest.raises(BackendError, match="timed out after 0.5s"):
        runtime.chat("remote-chat", "be slow")


def test_embeddings_in_input_order(runtime, stub):
    outcomes = runtime.embed("remote-embed", ["banana", "kiwi", "a a a a"])
    assert [o.output.vector for o in outcomes] == [
        [6.0, 3.0, 1.0],
        [4.0, 0.0, 1.0],
        [7.0, 4.0, 1.0],
    ]
    embed_calls = [r for r in stub.requests if r[0] == "/v1/embeddings"]
    assert embed_calls[-1][2]["input"] == ["banana", "kiwi", "a a a a"]  # one HTTP call per batch
    assert "Authorization" not in embed_calls[-1][1]


def test_unreachable_server_is_a_backend_error():
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    spec = ModelSpec(
        name="nowhere",
        task="embed",
        backend="openai",
        base_url=f"http://127.0.0.1:{port}/v1",
        api_model="m",
        max_batch_wait_ms=0,
    )
    runtime = InferenceRuntime(ModelRegistry([spec]))
    with pytest.raises(BackendError, match="cannot reach"):
        runtime.embed("nowhere", ["text"])
    runtime.close()


def test_missing_api_key_is_a_load_error(stub, monkeypatch):
    monkeypatch.delenv("NO_SUCH_KEY_VAR", raising=False)
    spec = ModelSpec(
        name="keyless",
        task="chat",
        backend="openai",
        base_url=stub.base_url,
        api_model="m",
        api_key_env="NO_SUCH_KEY_VAR",
    )
    with pytest.raises(ModelLoadError, match="NO_SUCH_KEY_VAR"):
        ModelRegistry([spec]).get("keyless")


def test_streaming_pieces_add_up_and_reasoning_content_is_kept(runtime):
    pieces = []
    request = ChatRequest.build("hello streaming world", on_text=pieces.append)
    result = runtime.batcher("remote-chat").submit(request).result(WAIT).output
    assert len(pieces) > 1 and "".join(pieces) == result.text == "echo: hello streaming world"
    assert (result.tokens_in, result.tokens_out) == (3, 4)  # the server's usage
    thinking = []
    request = ChatRequest.build("please think", on_text=thinking.append)
    result = runtime.batcher("remote-chat").submit(request).result(WAIT).output
    assert "".join(thinking) == result.text == "answer"  # the <think> block is never streamed
    assert result.reasoning == "about please think"
    result = runtime.chat("remote-chat", "reason it out").output
    assert result.reasoning == "reasoning about reason it out"  # DeepSeek's reasoning_content
    assert result.text == "echo: reason it out"


def _sent(stub, message: str) -> int:
    return sum(
        1
        for path, _, body in stub.requests
        if path == "/v1/chat/completions" and body["messages"][-1]["content"] == message
    )


def test_rate_limits_and_server_errors_are_retried_with_back_off(runtime, stub):
    # 429 twice (Retry-After: 0), then answered: two retries, the spec's default.
    assert runtime.chat("remote-chat", "busy now").output.text == "echo: busy now"
    assert _sent(stub, "busy now") == 3
    assert runtime.chat("remote-chat", "flaky once").output.text == "echo: flaky once"
    assert _sent(stub, "flaky once") == 2  # a 503, then answered


def test_retries_end_with_a_clear_error(stub):
    spec = ModelSpec(
        name="impatient",
        task="chat",
        backend="openai",
        base_url=stub.base_url,
        api_model="deepseek-chat",
        http_max_retries=1,
        max_batch_wait_ms=0,
    )
    runtime = InferenceRuntime(ModelRegistry([spec]))
    try:
        with pytest.raises(BackendError) as caught:
            runtime.chat("impatient", "busy again")
    finally:
        runtime.close()
    assert caught.value.status_code == 429
    assert "rate limited" in str(caught.value)
    assert _sent(stub, "busy again") == 2  # the request and one retry


def test_streamed_reasoning_content_is_kept_apart_from_the_text(runtime):
    pieces = []
    request = ChatRequest.build("reason while streaming", on_text=pieces.append)
    result = runtime.batcher("remote-chat").submit(request).result(WAIT).output
    assert "".join(pieces) == result.text == "echo: reason while streaming"
    assert result.reasoning == "reasoning about reason while streaming"


@pytest.mark.django_db
def test_lora_adapters_are_the_servers_model_names_per_tenant(
    stub, settings, monkeypatch, tenant, other_tenant, make_api_client
):
    from apps.accounts.roles import Role
    from models_runtime import tasks

    settings.MODELS_RUNTIME = {
        "models": {
            "remote-chat": {
                "task": "chat",
                "backend": "openai",
                "base_url": stub.base_url,
                "api_model": "deepseek-r1",
                "max_batch_wait_ms": 0,
                "lora_models": {str(tenant.pk): {"shop": "deepseek-r1-shop-a"}},
            }
        },
        "include_defaults": True,
    }
    runtime = InferenceRuntime.from_settings(settings.MODELS_RUNTIME)
    monkeypatch.setattr(tasks, "runtime", lambda: runtime)
    body = {
        "model": "remote-chat",
        "messages": [{"role": "user", "content": "hi"}],
        "adapter": "shop",
        "cache": False,
    }
    try:
        answer = make_api_client(tenant, Role.AGENT).post(
            "/api/v1/inference/chat", body, format="json"
        )
        assert answer.status_code == 200, answer.content
        assert answer.json()["adapter"] == {"name": "shop", "digest": "deepseek-r1-shop-a"}
        assert stub.requests[-1][2]["model"] == "deepseek-r1-shop-a"
        # Another tenant has no adapter of that name on this server: 404, nothing sent.
        sent = len(stub.requests)
        refused = make_api_client(other_tenant, Role.AGENT).post(
            "/api/v1/inference/chat", body, format="json"
        )
        assert refused.status_code == 404, refused.content
        assert len(stub.requests) == sent
    finally:
        runtime.close()
