"""The exceptions models_runtime raises.

Every one derives from ``ModelsRuntimeError`` so a caller can catch the family. The HTTP layer maps
them: ``InvalidInput`` (and ``UnknownModel``) -> 400/404, ``QueueFull`` -> 429 with Retry-After,
``RequestTimeout`` -> 504, ``ModelLoadError`` and ``BackendError`` -> 502/503.
"""

from __future__ import annotations

from collections.abc import Iterable


class ModelsRuntimeError(Exception):
    """Base class of every error this package raises on purpose."""


class InvalidSpec(ModelsRuntimeError, ValueError):
    """A model spec (from settings) is wrong; ``field`` names the offending field."""

    def __init__(self, model: str, field: str, message: str):
        self.model = model
        self.field = field
        super().__init__(f"model {model!r}: field {field!r}: {message}")


class InvalidInput(ModelsRuntimeError, ValueError):
    """A request was refused before it was queued (empty text, too many tokens, bad parameter)."""


class UnknownModel(InvalidInput, LookupError):
    """The request named a model the registry does not know."""

    def __init__(self, name: str, known: Iterable[str]):
        self.name = name
        self.known = sorted(known)
        listed = ", ".join(self.known) or "(none configured)"
        super().__init__(f"unknown model {name!r}; known models: {listed}")


class QueueFull(ModelsRuntimeError):
    """The model's queue is at its maximum depth; try again after ``retry_after`` seconds."""

    def __init__(self, model: str, depth: int, retry_after: float = 1.0):
        self.model = model
        self.depth = depth
        self.retry_after = retry_after
        super().__init__(
            f"model {model!r}: queue is full ({depth} requests waiting); "
            f"retry after {retry_after:g}s"
        )


class RequestTimeout(ModelsRuntimeError, TimeoutError):
    """The request's deadline passed before its batch started; it was not computed."""


class ModelLoadError(ModelsRuntimeError):
    """A model could not be loaded (missing files, no CUDA for a CUDA-only option, bad weights)."""


class BackendError(ModelsRuntimeError):
    """Running a batch failed (remote API error, out of memory for one request, model crash)."""

    def __init__(self, message: str, *, status_code: int | None = None):
        self.status_code = status_code
        super().__init__(message)


class UnknownAdapter(ModelsRuntimeError, LookupError):
    """The request named a LoRA adapter that the calling tenant has not promoted for that
    model (another tenant's adapter is unknown too: the API answers 404 either way)."""

    def __init__(self, name: str, model: str = ""):
        self.name = name
        where = f" for model {model!r}" if model else ""
        super().__init__(f"no adapter {name!r}{where} is being served for this tenant")
