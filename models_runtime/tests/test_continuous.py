"""Continuous batching of local chat models (scheduler.ChatScheduler over transformers' manager),
with the real SmolLM2 for the decoding behaviour and a tiny Llama for LoRA adapters and the
full-queue static regime."""

from __future__ import annotations

import dataclasses
import hashlib
import threading
import time

import pytest

from models_runtime.backends import ChatRequest
from models_runtime.batcher import DynamicBatcher
from models_runtime.errors import InvalidSpec
from models_runtime.registry import ModelRegistry
from models_runtime.runtime import InferenceRuntime
from models_runtime.scheduler import ChatScheduler
from models_runtime.specs import DEFAULT_MODELS, spec_from_dict, specs_from_settings

WAIT = 300


@pytest.fixture(scope="module")
def runtime(default_registry):
    runtime = InferenceRuntime(default_registry)
    yield runtime
    for batcher in runtime._batchers.values():
        batcher.close()


class Recorder:
    """An ``on_text`` callback that keeps each piece with the time it came."""

    def __init__(self):
        self.pieces: list[tuple[float, str]] = []
        self.event = threading.Event()

    def __call__(self, delta: str) -> None:
        self.pieces.append((time.monotonic(), delta))
        self.event.set()

    @property
    def text(self) -> str:
        return "".join(piece for _, piece in self.pieces)


def test_chat_models_get_the_continuous_scheduler_and_encoders_the_dynamic_batcher(runtime):
    assert isinstance(runtime.batcher("chat"), ChatScheduler)
    assert isinstance(runtime.batcher("embed"), DynamicBatcher)
    assert runtime.batcher("chat").snapshot()["mode"] == "continuous"


def test_a_request_arriving_mid_decode_joins_before_the_first_finishes(runtime):
    scheduler = runtime.batcher("chat")
    first_stream = Recorder()
    first = scheduler.submit(
        ChatRequest.from_prompt(
            "Write a long story about a ship.",
            max_new_tokens=40,
            ignore_eos=True,
            on_text=first_stream,
        ),
        WAIT,
    )
    assert first_stream.event.wait(WAIT)  # the first request is decoding
    steps_before = scheduler.engine.steps
    second_stream = Recorder()
    joined_at = time.monotonic()
    second = scheduler.submit(
        ChatRequest.from_prompt(
            "Write a long story about a king.",
            max_new_tokens=4,
            ignore_eos=True,
            on_text=second_stream,
        ),
        WAIT,
    )
    second_outcome = second.result(WAIT)
    assert not first.done()  # the short one joined the running batch and left it first
    first_outcome = first.result(WAIT)

    assert second_outcome.output.tokens_out == 4 and first_outcome.output.tokens_out == 40
    # It did not wait for the batch: admitted at once, its tokens streamed while the first
    # request's did, and both shared decoding steps.
    assert second_outcome.queue_ms < 100
    assert second_stream.pieces[0][0] < first_stream.pieces[-1][0]
    assert second_stream.pieces[0][0] > joined_at
    assert second_outcome.batch_size == 2 and first_outcome.batch_size == 2
    assert scheduler.engine.steps > steps_before
    # What was streamed is the answer, for both.
    assert first_stream.text == first_outcome.output.text
    assert second_stream.text == second_outcome.output.text


def test_each_requests_parameters_hold_in_one_running_batch(runtime, chat_backend):
    requests = [
        ChatRequest.from_prompt("What is the capital of France?", max_new_tokens=16),
        ChatRequest.from_prompt("Count from 1 to 10.", max_new_tokens=40, stop=("3",)),
        ChatRequest.from_prompt("Describe the sea in detail.", max_new_tokens=4),
        ChatRequest.from_prompt(
            "Tell me a story.", max_new_tokens=12, temperature=0.9, top_p=0.9, seed=5
        ),
        ChatRequest.from_prompt(
            "Tell me a story.", max_new_tokens=12, temperature=0.9, top_p=0.9, seed=5
        ),
        ChatRequest.from_prompt(
            "Tell me a story.", max_new_tokens=12, temperature=1.5, top_p=1.0, seed=99
        ),
    ]
    scheduler = runtime.batcher("chat")
    futures = [scheduler.submit(request, WAIT) for request in requests]
    paris, counting, sea, story_a, story_b, story_c = [f.result(WAIT).output for f in futures]

    assert "Paris" in paris.text and paris.finish_reason == "stop" and paris.tokens_out <= 16
    assert "3" not in counting.text and "2" in counting.text
    assert counting.finish_reason == "stop" and counting.tokens_out < 40
    assert sea.tokens_out == 4 and sea.finish_reason == "length"
    assert story_a.text == story_b.text != ""  # same seed, same draw, in one running batch
    assert story_c.text != story_a.text
    # The same draws as the static path's (one generate) for the same seeds.
    with scheduler.engine.paused():
        static = chat_backend.run_batch([requests[3], requests[5]])
    assert [story_a.text, story_c.text] == [r.text for r in static]
    for request, result in zip(requests, (paris, counting, sea, story_a), strict=False):
        assert result.tokens_in == chat_backend.count_tokens(request)


def test_a_lone_request_starts_at_once_even_after_a_busy_spell(runtime):
    scheduler = runtime.batcher("chat")
    busy = [
        scheduler.submit(ChatRequest.from_prompt(f"Say {i}.", max_new_tokens=3), WAIT)
        for i in range(3)
    ]
    for future in busy:
        future.result(WAIT)
    # The static batcher would now expect companions (its last batch held three) and wait.
    outcome = scheduler.submit(ChatRequest.from_prompt("Hi!", max_new_tokens=3), WAIT).result(WAIT)
    assert outcome.queue_ms < 50
    assert outcome.batch_size == 1


def test_the_static_setting_serves_chat_with_the_static_batcher(default_registry):
    specs = specs_from_settings({"models": {}, "include_defaults": True, "chat_batching": "static"})
    assert specs["chat"].batching == "static" and specs["embed"].batching == "continuous"
    runtime = InferenceRuntime(ModelRegistry(specs))
    runtime.registry._backends["chat"] = default_registry.get("chat")  # the loaded weights
    try:
        batcher = runtime.batcher("chat")
        assert isinstance(batcher, DynamicBatcher)
        outcome = runtime.chat("chat", "What is the capital of France?", max_new_tokens=16)
        assert "Paris" in outcome.output.text
        assert batcher.snapshot()["completed"] == 1
    finally:
        batcher.close()


def test_batching_settings_are_checked():
    with pytest.raises(InvalidSpec, match="batching"):
        spec_from_dict("c", {"task": "chat", "source": "./x", "batching": "dynamic"})
    with pytest.raises(InvalidSpec, match="kv_cache_tokens"):
        spec_from_dict("c", {"task": "chat", "source": "./x", "kv_cache_tokens": 0})
    with pytest.raises(InvalidSpec, match="chat_batching"):
        specs_from_settings({"chat_batching": "sometimes"})
    assert DEFAULT_MODELS["chat"].batching == "continuous"


# --------------------------------------------------------------- tiny Llama: adapters, full queue


@pytest.fixture(scope="module")
def tiny_llama(tmp_path_factory):
    from models_runtime.testing import build_tiny_llama

    return build_tiny_llama(tmp_path_factory.mktemp("models") / "tiny-llama")


def _adapter(tiny_llama, tmp_path, seed: int):
    """A real LoRA adapter for the tiny Llama, with non-zero B matrices (so it changes answers)."""
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    from models_runtime.adapters import AdapterRef

    model = AutoModelForCausalLM.from_pretrained(str(tiny_llama))
    config = LoraConfig(r=4, lora_alpha=8, target_modules=["q_proj", "k_proj", "v_proj", "o_proj"])
    peft_model = get_peft_model(model, config)
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, param in peft_model.named_parameters():
            if "lora_B" in name:
                param.copy_(torch.randn(param.shape, generator=generator) * 0.5)
    folder = tmp_path / f"adapter-{seed}"
    peft_model.save_pretrained(folder)
    files = {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file()}
    digest = hashlib.sha256(b"".join(files[k] for k in sorted(files))).hexdigest()
    return AdapterRef(name=f"shop{seed}", digest=digest, base_model="tiny", fetch=lambda: files)


@pytest.fixture
def make_tiny_runtime(tiny_llama, tmp_path, monkeypatch):
    """A runtime serving the tiny Llama as ``tiny`` (two slots, no batching window, unless
    ``settings`` say otherwise); closed after the test."""
    monkeypatch.setenv("MODELS_CACHE_DIR", str(tmp_path / "cache"))
    made = []

    def make(**settings):
        spec = {
            "task": "chat",
            "source": str(tiny_llama),
            "max_new_tokens": 64,
            "max_batch_size": 2,
            "max_queue_depth": 16,
            "max_batch_wait_ms": 0,
            **settings,
        }
        made.append(
            InferenceRuntime(ModelRegistry(specs_from_settings({"models": {"tiny": spec}})))
        )
        return made[-1]

    yield make
    for runtime in made:
        runtime.close()


@pytest.fixture
def tiny_runtime(make_tiny_runtime):
    return make_tiny_runtime()


def test_adapter_requests_run_static_and_never_mix_with_the_continuous_batch(
    tiny_runtime, tiny_llama, tmp_path
):
    from models_runtime.adapters import adapter_folder

    scheduler = tiny_runtime.batcher("tiny")
    assert isinstance(scheduler, ChatScheduler)
    shop = _adapter(tiny_llama, tmp_path, seed=1)
    adapter_folder(shop)  # as the worker's task does before it queues the request

    def ask(adapter=None, tokens=8, on_text=None):
        request = ChatRequest.from_prompt(
            "Where is my order?", max_new_tokens=tokens, ignore_eos=True, on_text=on_text
        )
        return scheduler.submit(dataclasses.replace(request, adapter=adapter), WAIT)

    base_alone = ask().result(WAIT).output.text
    adapted_alone = ask(shop).result(WAIT).output.text
    assert adapted_alone != base_alone

    # A long base request decodes continuously while an adapter request arrives: the adapter
    # request runs in the static lane (the loop held between steps), with its adapter only.
    stream = Recorder()
    long_base = ask(tokens=48, on_text=stream)
    assert stream.event.wait(WAIT)
    adapted = ask(shop).result(WAIT)
    base_after = ask().result(WAIT).output.text
    long_text = long_base.result(WAIT).output.text

    assert adapted.output.text == adapted_alone
    assert base_after == base_alone  # the adapter's layers are off for continuous batching
    backend = tiny_runtime.registry.get("tiny")
    with scheduler.engine.paused():
        expected = backend.run_batch(
            [ChatRequest.from_prompt("Where is my order?", max_new_tokens=48, ignore_eos=True)]
        )
    assert long_text == expected[0].text  # decoded with the base model throughout
    snapshot = scheduler.snapshot()
    assert snapshot["static_lane"]["completed"] == 2  # the two adapter requests, and only them
    assert snapshot["completed"] == 5


def test_a_full_queue_runs_as_a_static_batch(tiny_runtime):
    scheduler = tiny_runtime.batcher("tiny")  # two slots
    futures = [
        scheduler.submit(
            ChatRequest.from_prompt(f"Question {i}?", max_new_tokens=32, ignore_eos=True), WAIT
        )
        for i in range(6)
    ]
    outcomes = [future.result(WAIT) for future in futures]
    assert all(o.output.tokens_out == 32 for o in outcomes)
    snapshot = scheduler.snapshot()
    # Two decode continuously; the four behind them make two full batches of two, run static.
    assert snapshot["static_full_queue_batches"] == 2, snapshot
    assert snapshot["static_lane"]["batch_size_histogram"] == {2: 2}, snapshot
    assert snapshot["completed"] == 6


def test_closed_loop_callers_that_fill_every_slot_run_as_static_batches(make_tiny_runtime):
    """Four callers in a closed loop on four slots never queue for a slot, so the full-queue
    regime alone never starts; once every slot has been taken, their later rounds run as whole
    static batches. A lone caller after a quiet spell starts at once, continuously, again."""
    # A batching window long enough for closed-loop callers to come back.
    scheduler = make_tiny_runtime(max_batch_size=4, max_batch_wait_ms=1000).batcher("tiny")
    start = threading.Barrier(4)
    outcomes: list = []
    errors: list = []

    def caller(n: int) -> None:
        try:
            start.wait(WAIT)
            for round_ in range(3):
                request = ChatRequest.from_prompt(
                    f"Caller {n}, round {round_}?", max_new_tokens=24, ignore_eos=True
                )
                outcomes.append(scheduler.submit(request, WAIT).result(WAIT))
        except Exception as exc:  # reported below, with the scheduler's state
            errors.append(exc)

    threads = [threading.Thread(target=caller, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(WAIT)
    snapshot = scheduler.snapshot()
    assert not errors, (errors, snapshot)
    assert len(outcomes) == 12 and all(o.output.tokens_out == 24 for o in outcomes)
    # Round one decodes continuously and fills the slots; rounds two and three are static
    # batches of the whole cohort.
    assert snapshot["static_lane"]["batch_size_histogram"] == {4: 2}, snapshot
    assert snapshot["saturated_spells"] == 1, snapshot
    assert snapshot["static_full_queue_batches"] == 0, snapshot

    time.sleep(1.2)  # longer than the batching window: the cohort has gone
    lone = scheduler.submit(ChatRequest.from_prompt("Hi!", max_new_tokens=3), WAIT).result(WAIT)
    assert lone.queue_ms < 200, lone
    assert lone.batch_size == 1
    after = scheduler.snapshot()
    assert after["saturated"] is False
    assert after["static_lane"]["completed"] == snapshot["static_lane"]["completed"]


def test_a_held_request_waits_at_most_the_window_for_a_long_generation(make_tiny_runtime):
    """Saturated, a request waits for the slots to drain, but no longer than the batching window:
    a long generation decoding alone is paused for its static batch, not waited for."""
    runtime = make_tiny_runtime(max_new_tokens=480, max_batch_wait_ms=150)
    scheduler = runtime.batcher("tiny")
    stream = Recorder()
    long = scheduler.submit(
        ChatRequest.from_prompt(
            "Tell a long story.", max_new_tokens=480, ignore_eos=True, on_text=stream
        ),
        WAIT,
    )
    assert stream.event.wait(WAIT)
    short = ChatRequest.from_prompt("Hi?", max_new_tokens=2, ignore_eos=True)
    scheduler.submit(short, WAIT).result(WAIT)  # both slots were taken: saturated
    assert scheduler.snapshot()["saturated"], scheduler.snapshot()
    finished: dict[str, float] = {}
    long.add_done_callback(lambda _: finished.setdefault("long", time.monotonic()))
    held = scheduler.submit(short, WAIT)
    held.add_done_callback(lambda _: finished.setdefault("held", time.monotonic()))
    outcome = held.result(WAIT)
    assert long.result(WAIT).output.tokens_out == 480
    snapshot = scheduler.snapshot()
    assert finished["held"] < finished["long"], (outcome, snapshot)
    assert snapshot["held_flushes"] == 1, snapshot
    assert 150 <= outcome.queue_ms, outcome  # held for the window, counted from arrival


EXITS = """
from models_runtime.backends import ChatRequest
from models_runtime.registry import ModelRegistry
from models_runtime.runtime import InferenceRuntime
from models_runtime.specs import DEFAULT_MODELS

runtime = InferenceRuntime(ModelRegistry(DEFAULT_MODELS))
request = ChatRequest.from_prompt("Say hi.", max_new_tokens=2)
print(runtime.batcher("chat").submit(request).result(timeout=300).output.tokens_out, flush=True)
# No close: the process must still end when its main thread does (a worker's Ctrl-C).
"""


def test_a_process_with_a_running_decoding_loop_exits_when_its_main_thread_ends():
    import subprocess
    import sys
    from pathlib import Path

    done = subprocess.run(
        [sys.executable, "-c", EXITS],
        cwd=Path(__file__).resolve().parents[2],
        capture_output=True,
        text=True,
        timeout=WAIT,  # without the exit hook the library's loop thread holds it for ever
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().splitlines()[-1] == "2"
