"""The ``chat_arrivals`` measure's order of work (see ``arrivals``): raw capacity, raw continuous
batching, then the platform with continuous batching, then with the old static batcher. Every
process started here is stopped in a ``finally``."""

from __future__ import annotations

import gc
import os
import time

from benchmarks.harness.processes import (
    ProcessFailed,
    platform_env,
    purge_inference_queue,
    start_web,
    start_worker,
)
from benchmarks.inference.arrivals import (
    LOAD,
    SEED,
    Replay,
    make_trace,
    replay_http,
    replay_raw_continuous,
)
from benchmarks.inference.raw import RawChat
from benchmarks.inference.report import describe_machine, machine
from benchmarks.inference.workloads import SUBJECTS, Inputs
from models_runtime.specs import specs_from_settings

PAGE_SIZE = 64
MAX_BATCH_TOKENS = 512


class ArrivalsFailed(RuntimeError):
    pass


def _check(replay: Replay, trace) -> None:
    if replay.errors:
        raise ArrivalsFailed(
            f"chat_arrivals {replay.path}: {len(replay.errors)} request(s) failed; "
            f"first: {replay.errors[0][:400]}"
        )
    if len(replay.latency_s) != len(trace):
        raise ArrivalsFailed(f"chat_arrivals {replay.path}: {len(replay.latency_s)} answers")


def measure_chat_arrivals(s, *, requests: int, lengths, say) -> tuple[list[str], dict]:
    from transformers.generation.configuration_utils import ContinuousBatchingConfig

    spec = specs_from_settings(s.models_runtime)["chat"]
    threads = (s.models_runtime or {}).get("torch_threads")
    import torch

    if threads:
        torch.set_num_threads(int(threads))
    info = machine()
    nonce = Inputs().nonce
    clients = spec.max_batch_size
    say(f"chat_arrivals: raw static capacity, a batch of {clients} x {max(lengths)} tokens")
    raw = RawChat(spec)
    prompts = [
        f"Write a long story about a {SUBJECTS[i % len(SUBJECTS)]}. Capacity {nonce}-{i}."
        for i in range(clients)
    ]
    raw.run(prompts[:2], new_tokens=4)  # warm-up
    started = time.perf_counter()
    raw.run(prompts, new_tokens=max(lengths))
    batch_s = time.perf_counter() - started
    capacity = clients / batch_s
    trace = make_trace(LOAD * capacity, requests, lengths)
    say(
        f"  capacity {capacity:.3f} requests/s; trace of {len(trace)} arrivals at "
        f"{LOAD * capacity:.3f}/s over {trace[-1].at_s:.1f} s (seed {SEED})"
    )
    config = ContinuousBatchingConfig(
        page_size=PAGE_SIZE,
        num_blocks=max(2, -(-spec.kv_cache_tokens // PAGE_SIZE)),
        max_batch_tokens=MAX_BATCH_TOKENS,
        max_requests_per_batch=spec.max_batch_size,
        allow_block_sharing=False,
        auto_switch_to_flash=False,
    )
    say("chat_arrivals raw: transformers continuous batching in this process")
    replay_raw_continuous(raw, make_trace(1.0, 2, (4,)), nonce + 1, config)  # warm-up
    replays = {"raw": replay_raw_continuous(raw, trace, nonce, config)}
    _check(replays["raw"], trace)
    del raw
    gc.collect()

    purge_inference_queue(s.celery_app)
    env = platform_env(max_batch_size=None, settings_module=s.settings_module)
    env.pop("MODELS_RUNTIME_CHAT_BATCHING", None)
    web = worker = None
    try:
        say("chat_arrivals: starting the web server")
        web, port = start_web(env, s.log_dir, s.repo_root)
        for path, batching in (("platform", None), ("static", "static")):
            worker_env = dict(env)
            if batching:
                worker_env["MODELS_RUNTIME_CHAT_BATCHING"] = batching
            say(f"chat_arrivals {path}: starting the inference worker")
            label = f"arrivals-{path}"
            worker = start_worker(worker_env, s.log_dir, s.repo_root, label, s.celery_app)
            warm_trace = make_trace(1.0, 2, (4,))
            _check(replay_http(port, s.token, warm_trace, nonce + 2, path), warm_trace)
            say(f"chat_arrivals {path}: replaying the trace")
            replays[path] = replay_http(port, s.token, trace, nonce, path)
            worker.stop()
            worker = None
            _check(replays[path], trace)
    except ProcessFailed as exc:
        raise ArrivalsFailed(f"chat_arrivals: {exc}") from exc
    finally:
        for process in (worker, web):
            if process is not None:
                process.stop()
    return _report(trace, replays, capacity, lengths, info)


def _report(trace, replays: dict[str, Replay], capacity: float, lengths, info) -> tuple:
    paths = {name: replay.summary(trace) for name, replay in replays.items()}
    platform, raw, static = paths["platform"], paths["raw"], paths["static"]

    def ratio(a, b):
        return round(a / b, 3) if b else None

    report = {
        "requests": len(trace),
        "lengths": list(lengths),
        "load": LOAD,
        "seed": SEED,
        "raw_static_capacity_requests_per_s": round(capacity, 3),
        "paths": paths,
        "platform_over_raw": ratio(
            platform["throughput_tokens_per_s"], raw["throughput_tokens_per_s"]
        ),
        "ttft_p50_ms": platform["ttft_ms"]["p50"],
        "latency_p50_over_static": ratio(
            platform["latency_ms"]["p50"], static["latency_ms"]["p50"]
        ),
        "load_average_at_end": [round(x, 2) for x in os.getloadavg()],
        "machine": {**info, "description": describe_machine(info)},
    }
    lines = [
        f"chat_arrivals: {len(trace)} requests, Poisson at {LOAD} x raw static capacity "
        f"({capacity:.3f} requests/s), new tokens {'/'.join(map(str, lengths))}",
        f"{'path':<10}{'offered req/s':>14}{'tokens/s':>10}{'ttft p50':>10}{'ttft p99':>10}"
        f"{'lat p50':>10}{'lat p99':>10}   (ms)",
    ]
    for name, p in paths.items():
        lines.append(
            f"{name:<10}{p['offered_requests_per_s'] or 0:>14.3f}"
            f"{p['throughput_tokens_per_s']:>10.2f}"
            f"{p['ttft_ms']['p50']:>10.0f}{p['ttft_ms']['p99']:>10.0f}"
            f"{p['latency_ms']['p50']:>10.0f}{p['latency_ms']['p99']:>10.0f}"
        )
    return lines, report
