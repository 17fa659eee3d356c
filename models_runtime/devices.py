"""Choose where a model runs and in what precision, and load its weights accordingly."""

from __future__ import annotations

import warnings

from models_runtime.errors import ModelLoadError
from models_runtime.specs import ModelSpec


def resolve_device(spec: ModelSpec) -> str:
    """``auto``: CUDA when this process sees a GPU, else CPU. Asking for CUDA without one fails."""
    import torch

    if spec.device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if spec.device.startswith("cuda") and not torch.cuda.is_available():
        raise ModelLoadError(
            f"model {spec.name!r}: device {spec.device!r} but CUDA is not available"
        )
    return spec.device


def resolve_dtype(spec: ModelSpec, device: str):
    """``auto``: bfloat16 on a GPU that supports it, float16 on an older GPU, float32 on CPU."""
    import torch

    if spec.dtype != "auto":
        return getattr(torch, spec.dtype)
    if device.startswith("cuda"):
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    return torch.float32


def quantization_kwargs(spec: ModelSpec, device: str) -> dict:
    """``from_pretrained`` keyword arguments for bitsandbytes quantization (CUDA only)."""
    if spec.quantization not in ("8bit", "4bit"):
        return {}
    if not device.startswith("cuda"):
        raise ModelLoadError(
            f"model {spec.name!r}: quantization {spec.quantization!r} uses bitsandbytes, which "
            f"needs CUDA; this process runs on {device}. Use quantization 'dynamic-int8' on CPU, "
            "or on a GPU host install the extras with `make gpu-extras`."
        )
    try:
        import bitsandbytes  # noqa: F401
        from transformers import BitsAndBytesConfig
    except ImportError as exc:
        raise ModelLoadError(
            f"model {spec.name!r}: quantization {spec.quantization!r} needs bitsandbytes, a "
            "CUDA-only extra: install it with `make gpu-extras` (requirements-gpu.txt)"
        ) from exc
    if spec.quantization == "8bit":
        config = BitsAndBytesConfig(load_in_8bit=True)
    else:
        config = BitsAndBytesConfig(
            load_in_4bit=True, bnb_4bit_compute_dtype=resolve_dtype(spec, device)
        )
    return {"quantization_config": config, "device_map": {"": device}}


def apply_dynamic_int8(spec: ModelSpec, model):
    """torch.ao dynamic int8 quantization of the Linear layers (CPU)."""
    if spec.quantization != "dynamic-int8":
        return model
    import torch
    from torch.ao.quantization import quantize_dynamic

    with warnings.catch_warnings():
        # torch marks torch.ao.quantization deprecated in favour of torchao; it still works here.
        warnings.simplefilter("ignore", DeprecationWarning)
        warnings.simplefilter("ignore", UserWarning)
        return quantize_dynamic(model, {torch.nn.Linear}, dtype=torch.qint8)


def dtype_name(dtype) -> str:
    return str(dtype).removeprefix("torch.")
