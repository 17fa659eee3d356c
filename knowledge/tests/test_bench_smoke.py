"""``manage.py bench_knowledge --smoke`` end to end, as CI runs it: it imports a small
synthetic graph, starts its own web server and inference worker, measures, stops them and ends
with one JSON line. It runs in a subprocess against a database of its own (created here when
missing) and the benchmark Redis database (shared with bench_inference's smoke test, which
holds the same lock, so the two never run at once)."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.benchsupport import SMOKE_REDIS_DB, ensure_database, with_path

ROOT = Path(__file__).resolve().parents[2]
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
    env = dict(os.environ)
    env.update(
        DATABASE_URL=ensure_database(os.environ["DATABASE_URL"], SMOKE_DATABASE),
        REDIS_URL=with_path(os.environ["REDIS_URL"], f"/{SMOKE_REDIS_DB}"),
        DJANGO_SETTINGS_MODULE="config.settings.local",
        HF_HUB_OFFLINE="1",
        PYTHONUNBUFFERED="1",
    )
    env.pop("TEST_REAL_BROKER", None)
    run = subprocess.run(
        [sys.executable, "manage.py", "bench_knowledge", "--smoke"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=480,
    )
    assert run.returncode == 0, f"exit {run.returncode}\n{run.stdout[-3000:]}\n{run.stderr[-5000:]}"
    lines = [line for line in run.stdout.splitlines() if line.strip()]
    report = json.loads(lines[-1])
    for key in REQUIRED:
        value = report[key]
        assert isinstance(value, int | float) and math.isfinite(value) and value > 0, (key, value)
    assert report["plan"] == "smoke" and report["edges"] == 10_000
    assert report["retrieval_embedded_nodes"] == report["retrieval_graph_nodes"] > 0
    assert report["machine"]["database"].startswith("postgresql")
    assert any(line.startswith("selector / ego_graph") for line in lines[:-1])
