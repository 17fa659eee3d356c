"""Load a transformers model and tokenizer for a spec: source, device, dtype, quantization."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from models_runtime.devices import (
    apply_dynamic_int8,
    dtype_name,
    quantization_kwargs,
    resolve_device,
    resolve_dtype,
)
from models_runtime.errors import ModelLoadError
from models_runtime.gguf_cache import converted_copy
from models_runtime.sources import content_revision, resolve_source
from models_runtime.specs import ModelSpec


@dataclass
class Loaded:
    model: Any
    tokenizer: Any
    device: str
    dtype: str
    revision: str
    details: dict = field(default_factory=dict)


def load_transformers(
    spec: ModelSpec, model_class, *, tokenizer_kwargs: dict | None = None
) -> Loaded:
    """``model_class.from_pretrained`` for the spec's source, on its device, in its dtype."""
    from transformers import AutoTokenizer

    source = resolve_source(spec)
    details: dict = {"source": spec.source}
    if source.is_gguf:
        if spec.task != "chat":
            raise ModelLoadError(f"model {spec.name!r}: GGUF sources are supported for chat only")
        copy = converted_copy(source.path)
        details.update(gguf=str(source.path), converted_copy=str(copy.path))
        details.update(converted_now=copy.converted_now, conversion_id=copy.marker["conversion_id"])
        location: str | Path = copy.path
        revision = content_revision(source.path)
    elif source.kind == "hub":
        location, revision = source.hub_id, source.revision
    else:
        location, revision = source.path, content_revision(source.path)

    device = resolve_device(spec)
    dtype = resolve_dtype(spec, device)
    hub_kwargs = {"revision": source.revision} if source.kind == "hub" else {}
    quant = quantization_kwargs(spec, device)
    try:
        tokenizer = AutoTokenizer.from_pretrained(
            str(location), **hub_kwargs, **(tokenizer_kwargs or {})
        )
        model = model_class.from_pretrained(str(location), dtype=dtype, **hub_kwargs, **quant)
    except (OSError, ValueError, KeyError) as exc:
        raise ModelLoadError(f"model {spec.name!r}: cannot load {location}: {exc}") from exc
    if not quant:
        model = model.to(device)
    model.eval()
    model = apply_dynamic_int8(spec, model)
    if source.kind == "hub":
        revision = getattr(model.config, "_commit_hash", None) or revision
    details["quantization"] = spec.quantization
    return Loaded(model, tokenizer, device, dtype_name(dtype), revision, details)
