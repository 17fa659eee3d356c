"""What the benchmark smoke tests share: a database and a Redis database of their own.

Each ``--smoke`` run is a subprocess against its own PostgreSQL database (created here when
missing; the command migrates it) and a Redis database that neither the pytest database nor the
workers other tests start on the test Redis database use. The database's name carries a digest
of the migrations: a checkout with other migrations (another branch on the same machine, a
later commit) gets a database of its own instead of one migrated by a different history.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg import sql

# Not 15 (the test suite's workers) nor 14 (the acceptance checks). bench_inference and
# bench_knowledge share one and hold the same lock on it, so they never run at once.
SMOKE_REDIS_DB = os.environ.get("BENCH_SMOKE_REDIS_DB", "13")


def with_path(url: str, path: str) -> str:
    """``url`` with its path (the database) replaced by ``path``."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, path, parts.query, parts.fragment))


REPO = Path(__file__).resolve().parents[2]
PRODUCT_PACKAGES = ("apps", "knowledge", "models_runtime")


def migrations_digest() -> str:
    """Eight hex digits naming this checkout's migration history (file names and contents)."""
    digest = hashlib.sha256()
    for package in PRODUCT_PACKAGES:
        for path in sorted((REPO / package).glob("**/migrations/[0-9]*.py")):
            digest.update(str(path.relative_to(REPO)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:8]


def ensure_database(url: str, name: str) -> str:
    """``url`` pointing at database ``name`` + the migrations' digest, created if missing."""
    name = f"{name}_{migrations_digest()}"
    with psycopg.connect(with_path(url, "/postgres"), autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return with_path(url, f"/{name}")


def run_smoke(command: str, *, database: str, redis_db: str, timeout: int):
    """``manage.py <command> --smoke`` in a subprocess against ``database`` and Redis database
    ``redis_db``; asserts it exited 0 and returns its non-empty output lines and the JSON
    report on the last one."""
    env = dict(os.environ)
    env.update(
        DATABASE_URL=ensure_database(os.environ["DATABASE_URL"], database),
        REDIS_URL=with_path(os.environ["REDIS_URL"], f"/{redis_db}"),
        DJANGO_SETTINGS_MODULE="config.settings.local",
        HF_HUB_OFFLINE="1",
        PYTHONUNBUFFERED="1",
    )
    env.pop("TEST_REAL_BROKER", None)
    run = subprocess.run(
        [sys.executable, "manage.py", command, "--smoke"],
        cwd=Path(__file__).resolve().parents[2],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert run.returncode == 0, f"exit {run.returncode}\n{run.stdout[-3000:]}\n{run.stderr[-5000:]}"
    lines = [line for line in run.stdout.splitlines() if line.strip()]
    return lines, json.loads(lines[-1])
