"""``make loadtest`` in miniature: the runner prepares every part, starts web and workers, runs
locust with a few users for a few seconds and reports; no 5xx, at most 1% 429s, every part's
endpoint answered successfully. Its own database and Redis database (9), like the benchmark
smoke tests."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks.harness.smoke import ensure_database, with_path

ROOT = Path(__file__).resolve().parents[2]
LOADTEST_SMOKE_REDIS_DB = os.environ.get("LOADTEST_SMOKE_REDIS_DB", "9")

pytestmark = pytest.mark.worker


def test_loadtest_runs_every_part(tmp_path):
    from tests.load.parts import parts

    env = dict(os.environ)
    env.update(
        DATABASE_URL=ensure_database(os.environ["DATABASE_URL"], "loadtest_smoke"),
        REDIS_URL=with_path(os.environ["REDIS_URL"], f"/{LOADTEST_SMOKE_REDIS_DB}"),
        DJANGO_SETTINGS_MODULE="config.settings.local",
        HF_HUB_OFFLINE="1",
        PYTHONUNBUFFERED="1",
    )
    env.pop("TEST_REAL_BROKER", None)
    out = tmp_path / "run"
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "tests.load.run",
            "--users",
            "3",
            "--spawn-rate",
            "3",
            "--duration",
            "30",
            "--out",
            str(out),
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=480,
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    summary = json.loads(run.stdout.strip().splitlines()[-1])
    assert summary["passed"] and summary["server_errors"] == 0 and summary["requests"] > 0
    result = json.loads((out / "result.json").read_text())
    endpoints = {name: e for name, e in result["endpoints"].items() if name != "Aggregated"}
    seen_parts = {name.rsplit("[", 1)[1].rstrip("]") for name in endpoints}
    assert seen_parts == set(parts()), (seen_parts, set(parts()))
    for name, e in endpoints.items():
        ok = sum(n for code, n in e["status"].items() if code.startswith("2"))
        assert ok > 0, (name, e["status"])
        assert e["p50_ms"] > 0 and e["p99_ms"] >= e["p95_ms"] >= e["p50_ms"], (name, e)
