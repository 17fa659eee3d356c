"""``manage.py bench_knowledge --smoke`` end to end, as CI runs it: it imports a small
synthetic graph, starts its own web server and inference worker, measures, stops them and ends
with one JSON line. It runs in a subprocess against a database of its own (created here when
missing) and the benchmark Redis database (shared with bench_inference's smoke test, which
holds the same lock, so the two never run at once)."""

from __future__ import annotations

import math

import pytest

from benchmarks.harness.smoke import SMOKE_REDIS_DB, run_smoke

SMOKE_DATABASE = "bench_knowledge_smoke"
REQUIRED = (
    "import_edges_per_s",
    "cold_load_s",
    "neighbourhood_p50_ms",
    "neighbourhood_over_networkx",
    "neighbourhood_api_p50_ms",
    "retrieval_p50_ms",
    "networkx_ego_p50_ms",
    "neighbourhood_over_networkx_strict",
    "retrieval_bm25_p50_ms",
)


@pytest.mark.worker
def test_bench_knowledge_smoke_prints_its_figures_as_the_last_line():
    lines, report = run_smoke(
        "bench_knowledge", database=SMOKE_DATABASE, redis_db=SMOKE_REDIS_DB, timeout=480
    )
    for key in REQUIRED:
        value = report[key]
        assert isinstance(value, int | float) and math.isfinite(value) and value > 0, (key, value)
    assert report["plan"] == "smoke" and report["edges"] == 10_000
    assert report["retrieval_embedded_nodes"] == report["retrieval_graph_nodes"] > 0
    assert report["machine"]["database"].startswith("postgresql")
    assert any(line.startswith("selector / ego_graph") for line in lines[:-1])
