"""``manage.py bench_customer_service --smoke`` end to end, as CI runs it: it starts its own
inference worker and web server, sets up its tenant through them, runs two concurrent
conversations over REST, stops what it started and ends with one JSON line. A subprocess
against a database and a Redis database of its own."""

from __future__ import annotations

import pytest

from benchmarks.harness.smoke import run_smoke

SMOKE_DATABASE = "bench_cs_smoke"
SMOKE_REDIS_DB = "12"


@pytest.mark.worker
def test_bench_customer_service_smoke_prints_its_figures_as_the_last_line():
    lines, report = run_smoke(
        "bench_customer_service", database=SMOKE_DATABASE, redis_db=SMOKE_REDIS_DB, timeout=600
    )
    for key in (
        "reply_p50_ms",
        "overhead_fraction",
        "queue_ms_p50",
        "compute_ms_p50",
        "grounding_ms_p50",
    ):
        assert report[key] is not None and report[key] >= 0, key
    assert report["replies"] == 6 and report["generated_replies"] >= 1
    assert 0 <= report["overhead_fraction"] < 1
    assert report["compute_ms_p50"] > 0  # the chat model really ran (no cached answers)
    assert set(report["stages_p50_ms"]) >= {"nlu", "retrieval", "generation", "store"}
    assert "order_status" in report["intents"]
    assert any("overhead fraction" in line for line in lines)
