"""``bench_inference --single-user``: one user, one chat request after another, over HTTP.

A lone caller must wait for nobody (arrivals.AdaptiveWait): the figure is the p50 of the
``queue_ms`` the platform reports for each request (time in the model's batcher before its
batch started), measured through the whole platform (web server, Celery, the inference worker).
"""

from __future__ import annotations

from benchmarks.harness.processes import (
    ProcessFailed,
    platform_env,
    purge_inference_queue,
    start_web,
    start_worker,
)
from benchmarks.inference.load import run_load
from benchmarks.inference.report import describe_machine, machine, percentile
from benchmarks.inference.workloads import WORKLOADS, Inputs

WARMUP_REQUESTS = 2


def measure_single_user(s, *, requests: int, new_tokens: int, say) -> tuple[list[str], dict]:
    """Start the web server and the inference worker, send ``requests`` chat requests from one
    client (after a warm-up that loads the model), and report queue time percentiles."""
    workload = next(w for w in WORKLOADS if w.name == "chat")
    inputs = Inputs()
    info = machine()
    purge_inference_queue(s.celery_app)
    env = platform_env(max_batch_size=None, settings_module=s.settings_module)
    web = worker = None
    try:
        say("starting the web server and the inference worker")
        web, port = start_web(env, s.log_dir, s.repo_root)
        worker = start_worker(env, s.log_dir, s.repo_root, "single-user", s.celery_app)

        def load(phase: str, rounds: int):
            result = run_load(
                port=port,
                token=s.token,
                workload=workload,
                inputs=inputs,
                phase=phase,
                rounds=rounds,
                new_tokens=new_tokens,
                clients=1,
            )
            if result.errors:
                raise ProcessFailed(f"single user {phase}: {result.errors[0][:400]}")
            return result

        say(f"single user: warm-up, {WARMUP_REQUESTS} request(s)")
        load("platform-warmup", WARMUP_REQUESTS)
        say(f"single user: {requests} chat request(s), one after another")
        result = load("platform", requests)
    finally:
        for process in (worker, web):
            if process is not None:
                process.stop()
    queue = result.queue_ms
    report = {
        "single_user_queue_ms_p50": round(percentile(queue, 0.5), 2),
        "single_user_queue_ms_p90": round(percentile(queue, 0.9), 2),
        "single_user_queue_ms_max": round(max(queue), 2),
        "single_user_latency_ms_p50": round(percentile(result.latencies_s, 0.5) * 1000, 1),
        "single_user_batch_sizes": sorted(set(result.batch_sizes)),
        "requests": result.requests,
        "new_tokens": new_tokens,
        "machine": {**info, "description": describe_machine(info)},
    }
    lines = [
        f"single user, chat ({new_tokens} new tokens), {result.requests} requests: queue_ms "
        f"p50 {report['single_user_queue_ms_p50']}, p90 {report['single_user_queue_ms_p90']}, "
        f"max {report['single_user_queue_ms_max']}; latency p50 "
        f"{report['single_user_latency_ms_p50']} ms; "
        f"batch sizes {report['single_user_batch_sizes']}"
    ]
    return lines, report
