"""Backends: what runs a batch for one model. ``load_backend(spec)`` picks and loads one."""

from __future__ import annotations

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
    "Backend",
    "ChatRequest",
    "ChatResult",
    "ClassifyResult",
    "EmbedResult",
    "TokenClassifyResult",
    "backend_class",
    "load_backend",
]


def backend_class(spec: ModelSpec) -> type[Backend]:
    """The class serving ``spec``; torch and transformers are imported only when needed."""
    if spec.backend == "openai":
        from models_runtime.backends.openai_compat import OpenAICompatibleBackend

        return OpenAICompatibleBackend
    if spec.task == "chat":
        from models_runtime.backends.transformers_chat import TransformersChatBackend

        return TransformersChatBackend
    from models_runtime.backends import transformers_encoders as encoders

    return {
        "embed": encoders.TransformersEmbedBackend,
        "classify": encoders.TransformersClassifyBackend,
        "token-classify": encoders.TransformersTokenClassifyBackend,
    }[spec.task]


def load_backend(spec: ModelSpec) -> Backend:
    return backend_class(spec).load(spec)
