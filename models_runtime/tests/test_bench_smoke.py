"""``manage.py bench_inference --smoke`` end to end: it starts its own web server and inference
workers, measures, stops them and ends with one JSON line of ratios.

It runs in a subprocess against a database of its own (``bench_smoke``, created here when
missing; the command migrates it) and a Redis database of its own, so that neither the pytest
database nor workers that other tests start on the test Redis database are involved.
"""

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
)


def _lookup(data: dict, dotted: str):
    for part in dotted.split("."):
        data = data[part]
    return data


@pytest.mark.worker
def test_bench_inference_smoke_prints_ratios_as_its_last_line():
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
        [sys.executable, "manage.py", "bench_inference", "--smoke"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=420,
    )
    assert run.returncode == 0, f"exit {run.returncode}\n{run.stdout[-3000:]}\n{run.stderr[-5000:]}"
    lines = [line for line in run.stdout.splitlines() if line.strip()]
    report = json.loads(lines[-1])
    for key in REQUIRED:
        value = _lookup(report, key)
        assert isinstance(value, int | float) and math.isfinite(value) and value > 0, (key, value)
    assert report["plan"] == "smoke"
    assert report["machine"]["description"]
    # The table came before the JSON line, one row per measure.
    assert any(line.startswith("chat") and " naive " in line for line in lines[:-1])
