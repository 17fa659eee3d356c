"""Fixtures for models_runtime's tests: real models load once per session.

No Django database is used here. Everything runs offline: the models come from installed packages
or are built in a temp folder.
"""

from __future__ import annotations

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_NO_ADVISORY_WARNINGS", "1")

import pytest  # noqa: E402

from models_runtime.registry import ModelRegistry  # noqa: E402
from models_runtime.specs import DEFAULT_MODELS  # noqa: E402


@pytest.fixture(scope="session")
def default_registry():
    """The default chat (SmolLM2, converted from GGUF once into the cache) and embed (MiniLM)."""
    registry = ModelRegistry(DEFAULT_MODELS)
    yield registry
    registry.close()


@pytest.fixture(scope="session")
def chat_backend(default_registry):
    return default_registry.get("chat")


@pytest.fixture(scope="session")
def embed_backend(default_registry):
    return default_registry.get("embed")


@pytest.fixture(scope="session")
def tiny_deepseek_path(tmp_path_factory):
    from models_runtime.testing import build_tiny_deepseek_v3

    return build_tiny_deepseek_v3(tmp_path_factory.mktemp("models") / "tiny-deepseek-v3")
