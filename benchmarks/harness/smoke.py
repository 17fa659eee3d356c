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


def _database_exists(conn, name: str) -> bool:
    found = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
    return found is not None


def _migrated_template(conn, url: str, digest: str) -> str:
    """A database migrated to this checkout's history, made once and copied for each smoke
    database: a copy takes a second, migrating an empty database about 40 s here, and nine
    smoke tests each had their own. Built under another name and renamed when the migration has
    finished, so an interrupted build is never copied."""
    template = f"smoke_template_{digest}"
    # One builder at a time (another checkout's test run on the same server, say).
    conn.execute("SELECT pg_advisory_lock(hashtext(%s))", [template])
    try:
        if not _database_exists(conn, template):
            building = f"{template}_building"
            # WITH (FORCE): a migrate interrupted earlier may still hold a connection to it.
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(building))
            )
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(building)))
            env = dict(os.environ)
            env.update(
                DATABASE_URL=with_path(url, f"/{building}"),
                DJANGO_SETTINGS_MODULE="config.settings.local",
                HF_HUB_OFFLINE="1",
            )
            migrated = subprocess.run(
                [sys.executable, "manage.py", "migrate", "--noinput", "--verbosity", "0"],
                cwd=REPO,
                env=env,
                capture_output=True,
                text=True,
                timeout=600,
            )
            if migrated.returncode != 0:
                raise RuntimeError(f"migrating {building} failed:\n{migrated.stderr[-3000:]}")
            conn.execute(
                sql.SQL("ALTER DATABASE {} RENAME TO {}").format(
                    sql.Identifier(building), sql.Identifier(template)
                )
            )
    finally:
        conn.execute("SELECT pg_advisory_unlock(hashtext(%s))", [template])
    return template


def ensure_database(url: str, name: str) -> str:
    """``url`` pointing at database ``name`` + the migrations' digest; when missing, created as
    a copy of a database already migrated to this checkout (the command's own ``migrate`` then
    has nothing to do)."""
    digest = migrations_digest()
    name = f"{name}_{digest}"
    with psycopg.connect(with_path(url, "/postgres"), autocommit=True) as conn:
        if not _database_exists(conn, name):
            template = _migrated_template(conn, url, digest)
            try:
                conn.execute(
                    sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                        sql.Identifier(name), sql.Identifier(template)
                    )
                )
            except psycopg.errors.DuplicateDatabase:
                pass  # another run with the same history made it a moment ago
    return with_path(url, f"/{name}")


def run_smoke(command: str, *, database: str, redis_db: str, timeout: int, args=()):
    """``manage.py <command> --smoke [args]`` in a subprocess against ``database`` and Redis
    database ``redis_db``; asserts it exited 0 and returns its non-empty output lines and the
    JSON report on the last one."""
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
        [sys.executable, "manage.py", command, "--smoke", *args],
        cwd=Path(__file__).resolve().parents[2],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert run.returncode == 0, f"exit {run.returncode}\n{run.stdout[-3000:]}\n{run.stderr[-5000:]}"
    lines = [line for line in run.stdout.splitlines() if line.strip()]
    return lines, json.loads(lines[-1])
