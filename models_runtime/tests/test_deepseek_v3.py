"""A tiny random DeepSeek-V3 (MoE + latent attention) through the registry's normal path."""

from models_runtime.backends import ChatRequest
from models_runtime.registry import ModelRegistry
from models_runtime.runtime import InferenceRuntime
from models_runtime.specs import ModelSpec


def test_tiny_deepseek_v3_loads_and_generates(tiny_deepseek_path):
    spec = ModelSpec(
        name="tiny-deepseek", task="chat", source=str(tiny_deepseek_path), max_new_tokens=16
    )
    runtime = InferenceRuntime(ModelRegistry([spec]))
    backend = runtime.registry.get("tiny-deepseek")
    config = backend.model.config
    assert config.model_type == "deepseek_v3"
    assert (config.n_routed_experts, config.kv_lora_rank) == (8, 32)  # MoE and MLA are really there
    assert sum(p.numel() for p in backend.model.parameters()) > 5_000_000

    requests = [
        ChatRequest.from_prompt("hello there", max_new_tokens=6),
        ChatRequest.from_prompt("a longer question about the weather", max_new_tokens=3),
    ]
    first, second = backend.run_batch(requests)
    assert (first.tokens_out, second.tokens_out) == (6, 3)  # random weights: runs to each limit
    assert first.finish_reason == second.finish_reason == "length"
    assert first.text and second.text
    assert first.tokens_in == backend.count_tokens(requests[0])

    outcome = runtime.chat("tiny-deepseek", "hello there", max_new_tokens=6)
    assert outcome.output.text == first.text  # greedy: the same answer alone as in a batch
    status = runtime.status()[0]
    assert status["loaded"] and status["revision"].startswith("sha256:")
    assert status["batcher"]["completed"] == 1
    runtime.close()
