"""The OpenAI-compatible backend against a real OpenAI-compatible server: ``transformers serve``
with the offline SmolLM2 (converted from GGUF to a folder), started here on loopback.

Streaming arrives token by token through ``/api/v1/inference/chat`` with ``"stream": true``;
token counts are the server's ``usage`` (checked against the same request sent straight to the
server with the SDK); concurrent requests are all answered; a server killed mid-stream fails the
request with an error that says so.
"""

from __future__ import annotations

import http.client
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import openai
import pytest

from apps.accounts.roles import Role
from models_runtime import tasks
from models_runtime.adapters import base_model_folder
from models_runtime.backends import ChatRequest
from models_runtime.errors import BackendError
from models_runtime.runtime import InferenceRuntime
from models_runtime.testing import parse_chat_sse

WAIT = 300
PROMPT = "Name a colour."


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class ServeProcess:
    """``transformers serve <folder>`` on a free loopback port, until ``stop``."""

    def __init__(self, folder: Path, log: Path):
        self.port = _free_port()
        self.folder = folder
        self.base_url = f"http://127.0.0.1:{self.port}/v1"
        serve = Path(sys.executable).parent / "transformers"
        with open(log, "wb") as out:
            self.proc = subprocess.Popen(
                [str(serve), "serve", str(folder), "--host", "127.0.0.1", "--port", str(self.port)],
                env={**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_NO_ADVISORY_WARNINGS": "1"},
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.log = log
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"transformers serve exited:\n{log.read_text()[-3000:]}")
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                conn.request("GET", "/health")
                if conn.getresponse().status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.5)
        self.stop()
        raise RuntimeError(
            f"transformers serve not healthy after {WAIT}s:\n{log.read_text()[-3000:]}"
        )

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(30)


@pytest.fixture(scope="module")
def folder():
    return base_model_folder("chat")


@pytest.fixture(scope="module")
def server(folder, tmp_path_factory):
    process = ServeProcess(folder, tmp_path_factory.mktemp("serve") / "serve.log")
    yield process
    process.stop()


def _remote(server, **extra) -> dict:
    return {
        "task": "chat",
        "backend": "openai",
        "base_url": server.base_url,
        "api_model": str(server.folder),
        "max_batch_wait_ms": 0,
        "http_timeout_s": 120.0,
        **extra,
    }


@pytest.fixture
def remote_runtime(server, settings, monkeypatch):
    settings.MODELS_RUNTIME = {"models": {"remote": _remote(server)}, "include_defaults": True}
    runtime = InferenceRuntime.from_settings(settings.MODELS_RUNTIME)
    monkeypatch.setattr(tasks, "runtime", lambda: runtime)
    yield runtime
    runtime.close()


def _direct(server, max_tokens: int):
    """The same greedy request straight to the server with the SDK: the reference usage."""
    with openai.OpenAI(base_url=server.base_url, api_key="unused") as sdk:
        return sdk.chat.completions.create(
            model=str(server.folder),
            messages=[{"role": "user", "content": PROMPT}],
            max_tokens=max_tokens,
            temperature=0,
        )


@pytest.mark.django_db
def test_streams_token_by_token_through_the_api_with_the_servers_usage(
    remote_runtime, server, tenant, make_api_client
):
    api = make_api_client(tenant, Role.AGENT)
    body = {
        "model": "remote",
        "messages": [{"role": "user", "content": PROMPT}],
        "max_new_tokens": 8,
        "temperature": 0,
        "cache": False,
    }
    response = api.post("/api/v1/inference/chat", {**body, "stream": True}, format="json")
    assert response.status_code == 200
    deltas, done = parse_chat_sse(b"".join(response.streaming_content).decode())
    reference = _direct(server, 8)
    assert len(deltas) > 1  # token by token, not one final event
    assert "".join(deltas) == done["message"]["content"]
    assert done["message"]["content"] == reference.choices[0].message.content.strip()
    assert done["usage"] == {
        "tokens_in": reference.usage.prompt_tokens,
        "tokens_out": reference.usage.completion_tokens,
    }
    assert done["timings"]["batch_size"] >= 1

    plain = api.post("/api/v1/inference/chat", body, format="json")
    assert plain.status_code == 200, plain.content
    assert plain.json()["usage"] == done["usage"]


def test_concurrent_requests_are_all_answered(remote_runtime):
    prompts = [f"Say the number {i}." for i in range(3)]
    futures = [
        remote_runtime.submit("remote", ChatRequest.build(p, max_new_tokens=4, temperature=0))
        for p in prompts
    ]
    outcomes = [future.result(WAIT) for future in futures]
    assert all(o.output.tokens_out == 4 and o.output.text for o in outcomes)


def test_a_server_killed_mid_stream_is_a_clear_error(folder, tmp_path):
    doomed = ServeProcess(folder, tmp_path / "doomed.log")
    spec = {"models": {"remote": _remote(doomed, http_max_retries=0)}, "include_defaults": False}
    runtime = InferenceRuntime.from_settings(spec)
    first_piece = threading.Event()
    try:
        request = ChatRequest.build(
            "Write a long story about a ship.",
            max_new_tokens=200,
            ignore_eos=True,
            on_text=lambda piece: first_piece.set(),
        )
        future = runtime.submit("remote", request)
        assert first_piece.wait(WAIT)
        doomed.stop()  # SIGKILL while it streams
        with pytest.raises(BackendError, match="broke off after") as caught:
            future.result(WAIT)
        assert doomed.base_url in str(caught.value)
    finally:
        doomed.stop()
        runtime.close()
