"""Backends: what runs a batch for one model. ``load_backend(spec)`` picks and loads one."""

from __future__ import annotations

from django.utils.module_loading import import_string

from models_runtime.backends.base import (
    Backend,
    ChatRequest,
    ChatResult,
    ClassifyResult,
    EmbedResult,
    TokenClassifyResult,
)
from models_runtime.specs import ModelSpec

__all__ = [
    "BACKEND_CLASSES",
    "Backend",
    "ChatRequest",
    "ChatResult",
    "ClassifyResult",
    "EmbedResult",
    "TokenClassifyResult",
    "backend_class",
    "load_backend",
]


# Each backend by dotted path, imported when a model first needs it (Django's way with database
# and cache backends): a process that never loads a model, such as the web, never imports
# torch, transformers or the openai client that these modules import at their top.
BACKEND_CLASSES = {
    ("openai", None): "models_runtime.backends.openai_compat.OpenAICompatibleBackend",
    ("transformers", "chat"): "models_runtime.backends.transformers_chat.TransformersChatBackend",
    ("transformers", "embed"): (
        "models_runtime.backends.transformers_encoders.TransformersEmbedBackend"
    ),
    ("transformers", "classify"): (
        "models_runtime.backends.transformers_encoders.TransformersClassifyBackend"
    ),
    ("transformers", "token-classify"): (
        "models_runtime.backends.transformers_encoders.TransformersTokenClassifyBackend"
    ),
}


def backend_class(spec: ModelSpec) -> type[Backend]:
    """The class serving ``spec`` (an OpenAI-compatible server serves every task)."""
    if spec.backend == "openai":
        return import_string(BACKEND_CLASSES["openai", None])
    return import_string(BACKEND_CLASSES["transformers", spec.task])


def load_backend(spec: ModelSpec) -> Backend:
    return backend_class(spec).load(spec)
