"""Throughput on this machine: raw batches against the platform path (runtime + batcher).

    HF_HUB_OFFLINE=1 python -m benchmarks.inference.in_process [--threads N] [--rounds R]
        [--continuous]

Chat: SmolLM2-135M, 32 new tokens per request, 16 prompts. "raw static" is one left-padded
``generate`` of the 16 prompts with exactly 32 new tokens each; "platform" is 16 threads each
calling ``InferenceRuntime.chat`` at once; "continuous" is transformers' ``generate_batch``.
Embeddings: MiniLM, raw ``run_batch`` at batch 1/8/32, and 32 threads each embedding one text.
Prints one JSON object: per measure, units/second in each round (the measures take turns within
a round, so a noisy neighbour hits them alike) and the best.
"""

from __future__ import annotations

import argparse
import json
import os
import threading
import time

# Before the runtime imports transformers, which reads it once, at import.
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from models_runtime.backends import ChatRequest  # noqa: E402
from models_runtime.backends.transformers_chat import _left_pad  # noqa: E402
from models_runtime.runtime import InferenceRuntime  # noqa: E402

SUBJECTS = [
    "cat",
    "dog",
    "ship",
    "king",
    "robot",
    "tree",
    "river",
    "baker",
    "pilot",
    "city",
    "storm",
    "garden",
    "train",
    "wizard",
    "doctor",
    "farmer",
]
PROMPTS = [f"Write a long story about a {subject}." for subject in SUBJECTS]
NEW_TOKENS = 32
TEXTS = [
    f"Customer {i} asks how to cancel order number {1000 + i} placed last week." for i in range(32)
]


def interleaved(rounds: int, measures: dict) -> dict:
    """Run every measure once per round, in turn, so load from other processes hits them alike.

    Each measure returns units done; the result holds units/second per round and the best."""
    samples: dict[str, list[float]] = {name: [] for name in measures}
    for _ in range(rounds):
        for name, run in measures.items():
            started = time.perf_counter()
            units = run()
            samples[name].append(round(units / (time.perf_counter() - started), 1))
    return {name: {"best": max(values), "samples": values} for name, values in samples.items()}


def concurrently(count: int, call) -> list:
    results = [None] * count
    barrier = threading.Barrier(count)

    def worker(i):
        barrier.wait()
        results[i] = call(i)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def chat_numbers(runtime, rounds: int, continuous: bool) -> dict:
    import torch
    from transformers import GenerationConfig

    backend = runtime.registry.get("chat")
    model, tokenizer = backend.model, backend.tokenizer
    prompts = [backend.prompt_text(_chat_request(p)) for p in PROMPTS]
    encoded = [tokenizer(p, add_special_tokens=False)["input_ids"] for p in prompts]

    def raw_static(rows):
        input_ids, mask = _left_pad(rows, tokenizer.pad_token_id, backend.device)
        with torch.inference_mode():
            out = model.generate(
                input_ids=input_ids,
                attention_mask=mask,
                do_sample=False,
                max_new_tokens=NEW_TOKENS,
                min_new_tokens=NEW_TOKENS,
                pad_token_id=tokenizer.pad_token_id,
            )
        return (out.shape[1] - input_ids.shape[1]) * len(rows)

    def platform(count):
        outcomes = concurrently(
            count,
            lambda i: runtime.chat("chat", PROMPTS[i], max_new_tokens=NEW_TOKENS, timeout_s=600),
        )
        return sum(o.output.tokens_out for o in outcomes)

    measures = {
        "raw_static_batch1_tok_s": lambda: raw_static(encoded[:1]),
        "raw_static_batch16_tok_s": lambda: raw_static(encoded),
        "platform_1_caller_tok_s": lambda: platform(1),
        "platform_16_callers_tok_s": lambda: platform(16),
    }
    if continuous:
        config = GenerationConfig(
            max_new_tokens=NEW_TOKENS,
            do_sample=False,
            eos_token_id=-1,
            pad_token_id=tokenizer.pad_token_id,
        )

        def continuous_batch():
            results = model.generate_batch(
                encoded, generation_config=config, max_new_tokens=NEW_TOKENS, progress_bar=False
            )
            return sum(len(r.generated_tokens) for r in results.values())

        measures["continuous_generate_batch16_tok_s"] = continuous_batch
    for run in measures.values():  # warm up every path once
        run()
    numbers = interleaved(rounds, measures)
    numbers["platform_batch_sizes"] = runtime.stats()["chat"]["batch_size_histogram"]
    return numbers


def _chat_request(prompt):
    return ChatRequest.from_prompt(prompt)


def embed_numbers(runtime, rounds: int) -> dict:
    backend = runtime.registry.get("embed")
    backend.run_batch(TEXTS[:8])  # warm up
    measures = {
        f"raw_batch{size}_texts_s": (
            lambda size=size: sum(
                len(backend.run_batch(TEXTS[i : i + size])) for i in range(0, 32, size)
            )
        )
        for size in (1, 8, 32)
    }
    measures["platform_32_callers_texts_s"] = lambda: len(
        concurrently(32, lambda i: runtime.embed("embed", [TEXTS[i]]))
    )
    numbers = interleaved(rounds, measures)
    numbers["platform_batch_sizes"] = runtime.stats()["embed"]["batch_size_histogram"]
    return numbers


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=None, help="torch intra-op threads")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--continuous", action="store_true", help="also time generate_batch")
    parser.add_argument("--skip-chat", action="store_true")
    parser.add_argument("--skip-embed", action="store_true")
    args = parser.parse_args()

    settings = {"torch_threads": args.threads} if args.threads else None
    runtime = InferenceRuntime.from_settings(settings)
    import torch

    report = {"torch_threads": torch.get_num_threads(), "cpu_count": os.cpu_count()}
    if not args.skip_embed:
        report["embed"] = embed_numbers(runtime, args.rounds)
    if not args.skip_chat:
        report["chat"] = chat_numbers(runtime, args.rounds, args.continuous)
    report["load_average_after"] = os.getloadavg()
    print(json.dumps(report, indent=2))
    runtime.close()


if __name__ == "__main__":
    main()
