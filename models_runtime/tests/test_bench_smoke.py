"""``manage.py bench_inference --smoke`` end to end: it starts its own web server and inference
workers, measures, stops them and ends with one JSON line of ratios.

It runs in a subprocess against a database of its own (``bench_smoke``, created here when
missing; the command migrates it) and a Redis database of its own, so that neither the pytest
database nor workers that other tests start on the test Redis database are involved.
"""

from __future__ import annotations

import math

import pytest

from benchmarks.harness.smoke import SMOKE_REDIS_DB, run_smoke

SMOKE_DATABASE = "bench_smoke"
REQUIRED = (
    "chat.platform_over_raw",
    "chat.platform_over_naive",
    "embed.platform_over_raw",
    "embed.platform_over_naive",
    "embed_batched.platform_over_raw",
    "chat.raw",
    "chat.platform",
    "chat.naive",
    "embed.raw",
    "embed.platform",
    "embed.naive",
    "embed_batched.raw",
    "embed_batched.platform",
    "chat_arrivals.platform_over_raw",
    "chat_arrivals.ttft_p50_ms",
    "chat_arrivals.latency_p50_over_static",
)


def _lookup(data: dict, dotted: str):
    for part in dotted.split("."):
        data = data[part]
    return data


@pytest.mark.worker
def test_bench_inference_smoke_prints_ratios_as_its_last_line():
    lines, report = run_smoke(
        "bench_inference", database=SMOKE_DATABASE, redis_db=SMOKE_REDIS_DB, timeout=600
    )
    for key in REQUIRED:
        value = _lookup(report, key)
        assert isinstance(value, int | float) and math.isfinite(value) and value > 0, (key, value)
    assert report["plan"] == "smoke"
    assert report["machine"]["description"]
    # The table came before the JSON line, one row per measure.
    assert any(line.startswith("chat") and " naive " in line for line in lines[:-1])
    arrivals = report["chat_arrivals"]
    assert set(arrivals["paths"]) == {"raw", "platform", "static"}
    assert all(p["requests"] == arrivals["requests"] for p in arrivals["paths"].values())


@pytest.mark.worker
def test_single_user_smoke_reports_the_queue_time_of_a_lone_caller():
    """``--single-user``: one caller through the whole platform; its requests run alone and
    start without waiting for companions (the chat model's batching window is 400 ms)."""
    from models_runtime.specs import DEFAULT_MODELS

    lines, report = run_smoke(
        "bench_inference",
        database=SMOKE_DATABASE,
        redis_db=SMOKE_REDIS_DB,
        timeout=600,
        args=["--single-user"],
    )
    assert report["requests"] == 4
    assert report["single_user_batch_sizes"] == [1]
    window_ms = DEFAULT_MODELS["chat"].max_batch_wait_ms
    assert 0 <= report["single_user_queue_ms_p50"] < window_ms / 2, report
    assert lines[-2].startswith("single user, chat")
