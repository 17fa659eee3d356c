"""Fixtures of the adaptation tests: a tiny Llama (built once per session) served as model
``tiny`` by an in-process runtime, and its adapters."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def tiny_llama(tmp_path_factory):
    from models_runtime.testing import build_tiny_llama

    return build_tiny_llama(tmp_path_factory.mktemp("models") / "tiny-llama")


@pytest.fixture
def tiny_settings(settings, tiny_llama, tmp_path, monkeypatch):
    """MODELS_RUNTIME with model ``tiny``; adapter files cached under a temp folder."""
    settings.MODELS_RUNTIME = {
        "models": {
            "tiny": {
                "task": "chat",
                "source": str(tiny_llama),
                "max_new_tokens": 16,
                "max_batch_wait_ms": 0,
            }
        },
        "include_defaults": True,
    }
    monkeypatch.setenv("MODELS_CACHE_DIR", str(tmp_path / "cache"))
    return settings


@pytest.fixture
def tiny_runtime(tiny_settings, monkeypatch):
    """The inference tasks' runtime, with ``tiny``; closed after the test."""
    from models_runtime import tasks
    from models_runtime.runtime import InferenceRuntime

    runtime = InferenceRuntime.from_settings(tiny_settings.MODELS_RUNTIME)
    monkeypatch.setattr(tasks, "runtime", lambda: runtime)
    yield runtime
    runtime.close()
