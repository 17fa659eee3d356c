"""models_runtime: the shared inference layer (model registry, backends, dynamic batcher).

Importing this package imports neither torch nor transformers; they load with the first model.
"""

from models_runtime.backends.base import (
    ChatRequest,
    ChatResult,
    ClassifyResult,
    EmbedResult,
    TokenClassifyResult,
)
from models_runtime.batcher import DynamicBatcher, Outcome
from models_runtime.errors import (
    BackendError,
    InvalidInput,
    InvalidSpec,
    ModelLoadError,
    ModelsRuntimeError,
    QueueFull,
    RequestTimeout,
    UnknownModel,
)
from models_runtime.registry import ModelRegistry, ModelStatus
from models_runtime.runtime import InferenceRuntime, get_runtime
from models_runtime.specs import DEFAULT_MODELS, ModelSpec, specs_from_settings
from models_runtime.thinking import split_thinking

__all__ = [
    "DEFAULT_MODELS",
    "BackendError",
    "ChatRequest",
    "ChatResult",
    "ClassifyResult",
    "DynamicBatcher",
    "EmbedResult",
    "InferenceRuntime",
    "InvalidInput",
    "InvalidSpec",
    "ModelLoadError",
    "ModelRegistry",
    "ModelSpec",
    "ModelStatus",
    "ModelsRuntimeError",
    "Outcome",
    "QueueFull",
    "RequestTimeout",
    "TokenClassifyResult",
    "UnknownModel",
    "get_runtime",
    "specs_from_settings",
    "split_thinking",
]
