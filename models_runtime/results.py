"""What a model call returns to its caller: ``InferenceResult``, or the error the worker
reported, raised again in the caller's process with its own class (``raise_for``)."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.conf import settings

from . import errors
from .packing import is_packed, unpack_vectors

ERROR_TYPES = {
    cls.__name__: cls
    for cls in (
        errors.InvalidInput,
        errors.UnknownModel,
        errors.QueueFull,
        errors.RequestTimeout,
        errors.ModelLoadError,
        errors.BackendError,
        errors.InvalidSpec,
        errors.UnknownAdapter,
    )
}


@dataclass
class InferenceResult:
    """A model's answer and what the audit log needs to know about how it was made."""

    model: str
    revision: str
    outputs: list
    queue_ms: float
    compute_ms: float
    batch_size: int
    tokens_in: int
    tokens_out: int
    cached: bool = False
    compute_share_s: float = 0.0
    extra: dict = field(default_factory=dict)

    @property
    def output(self):
        return self.outputs[0]

    @classmethod
    def from_task(cls, data: dict, cached: bool = False) -> InferenceResult:
        outputs = data["outputs"]
        return cls(
            model=data["model"],
            revision=data["revision"],
            outputs=unpack_vectors(outputs) if is_packed(outputs) else outputs,
            queue_ms=data["queue_ms"],
            compute_ms=data["compute_ms"],
            batch_size=data["batch_size"],
            tokens_in=data["tokens_in"],
            tokens_out=data["tokens_out"],
            compute_share_s=data.get("compute_share_s", 0.0),
            cached=cached,
            extra={"adapter": data["adapter"]} if data.get("adapter") else {},
        )


def raise_for(data: dict) -> None:
    """Re-raise, in the caller's process, the error the worker reported as JSON."""
    if data.get("ok"):
        return
    error = data.get("error") or {}
    cls = ERROR_TYPES.get(error.get("type"), errors.BackendError)
    exc = cls.__new__(cls)  # the message is already composed; skip each class's formatting
    Exception.__init__(exc, error.get("message", "inference failed"))
    if cls is errors.QueueFull:
        exc.retry_after = error.get("retry_after", settings.INFERENCE_RETRY_AFTER_S)
    raise exc
