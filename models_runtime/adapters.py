"""LoRA adapters served per request: which adapter a tenant's name means, where its files are.

models_runtime does not know where adapters are registered: ``MODELS_RUNTIME_ADAPTER_HOOK``
(a dotted path, read from settings) names ``f(*, tenant_id, name, model) -> AdapterRef | None``,
which answers only the tenant's own adapters (apps/adaptation registers the promoted ones).
The files are written once per adapter digest under ``$MODELS_CACHE_DIR/adapters/`` and loaded
from there by the chat backend (peft, one adapter per name on one copy of the base model).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.utils.module_loading import import_string

from models_runtime import routing
from models_runtime.errors import ModelLoadError, UnknownAdapter, UnknownModel
from models_runtime.gguf_cache import build_once, converted_copy, models_cache_dir
from models_runtime.sources import resolve_source
from models_runtime.specs import specs_from_settings


@dataclass(frozen=True)
class AdapterRef:
    """An adapter as a request uses it. ``fetch`` returns its files (``adapter_config.json``,
    ``adapter_model.safetensors``) as bytes, called only when the digest's folder is missing."""

    name: str
    digest: str
    base_model: str
    fetch: Callable[[], dict[str, bytes]] = field(compare=False, hash=False, repr=False)

    @property
    def key(self) -> str:
        """The adapter's name inside peft: by content, so a re-promoted version never reuses a
        stale copy (peft names cannot hold dots)."""
        return f"a{self.digest[:24]}"


@dataclass(frozen=True)
class RemoteAdapter:
    """A tenant's adapter served by an OpenAI-compatible server under its own model name
    (``ModelSpec.lora_models``); ``digest`` is that name, for the answer and the cache key."""

    name: str
    served_model: str
    base_model: str

    @property
    def digest(self) -> str:
        return self.served_model

    @property
    def key(self) -> str:
        return self.served_model


def resolve(*, tenant_id, name: str, model: str) -> AdapterRef | RemoteAdapter:
    """The tenant's adapter ``name`` for ``model``; ``UnknownAdapter`` otherwise. For a model on
    an OpenAI-compatible server, the spec's ``lora_models`` of that tenant decide."""
    spec = routing.specs().get(model)
    if spec is not None and spec.backend == "openai":
        served = ((spec.lora_models or {}).get(str(tenant_id)) or {}).get(name)
        if not isinstance(name, str) or not served:
            raise UnknownAdapter(str(name), model)
        return RemoteAdapter(name=name, served_model=served, base_model=model)
    hook = getattr(settings, "MODELS_RUNTIME_ADAPTER_HOOK", None)
    if not hook or not isinstance(name, str) or not name:
        raise UnknownAdapter(str(name), model)
    ref = import_string(hook)(tenant_id=tenant_id, name=name, model=model)
    if ref is None or ref.base_model != model:
        raise UnknownAdapter(name, model)
    return ref


def is_served(*, tenant_id, name: str, model: str) -> bool:
    """Whether the tenant has adapter ``name`` for ``model`` (callers that add an adapter only
    when one exists, such as the customer-service reply)."""
    try:
        resolve(tenant_id=tenant_id, name=name, model=model)
    except UnknownAdapter:
        return False
    return True


def adapter_folder(ref: AdapterRef, cache_dir: Path | None = None) -> Path:
    """The adapter's files on disk, written once per digest (atomically, see ``build_once``)."""
    final = (cache_dir or models_cache_dir()) / "adapters" / ref.digest

    def write(tmp: Path) -> None:
        files = ref.fetch()
        if "adapter_config.json" not in files:
            raise ModelLoadError(f"adapter {ref.name!r} has no adapter_config.json")
        for filename, content in files.items():
            if "/" in filename or filename.startswith("."):
                raise ModelLoadError(f"adapter {ref.name!r}: bad file name {filename!r}")
            (tmp / filename).write_bytes(content)

    build_once(final, write)
    return final


def base_model_folder(model: str, model_settings=None) -> Path:
    """The saved transformers folder of chat model ``model`` (the converted copy for a GGUF
    source, converting it first if needed): what LoRA training starts from."""
    if model_settings is None:
        model_settings = settings.MODELS_RUNTIME
    specs = specs_from_settings(model_settings)
    if model not in specs:
        raise UnknownModel(model, specs)
    spec = specs[model]
    if spec.task != "chat" or spec.backend != "transformers":
        raise ModelLoadError(f"model {model!r} is not a local transformers chat model")
    source = resolve_source(spec)
    if source.is_gguf:
        return converted_copy(source.path).path
    if source.path is None:
        raise ModelLoadError(f"model {model!r}: a hub source must be downloaded to a folder first")
    return source.path
