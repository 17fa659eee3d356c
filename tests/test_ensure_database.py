"""`make run` with DATABASE_URL creates the PostgreSQL database when it is missing
(scripts/ensure_database.py), and says in one line how to when it cannot."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.postgres


def with_database(url: str, name: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path=f"/{name}"))


def ensure(url: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "DATABASE_URL": url}
    return subprocess.run(
        [sys.executable, "scripts/ensure_database.py"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def drop(url: str, name: str) -> None:
    with psycopg.connect(with_database(url, "postgres"), autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}"')


def test_a_missing_database_is_created_and_a_second_run_changes_nothing():
    base = os.environ["DATABASE_URL"]
    name = f"{urlsplit(base).path.lstrip('/')}_created_{uuid.uuid4().hex[:8]}"
    url = with_database(base, name)
    try:
        first = ensure(url)
        assert first.returncode == 0, first.stderr
        assert f'Created the PostgreSQL database "{name}"' in first.stdout
        with psycopg.connect(url) as connection:
            assert connection.execute("SELECT current_database()").fetchone() == (name,)
        again = ensure(url)
        assert again.returncode == 0 and again.stdout == "" and again.stderr == ""
    finally:
        drop(base, name)


def test_a_database_it_may_not_create_is_one_line_naming_createdb():
    base = os.environ["DATABASE_URL"]
    role = f"nocreate_{uuid.uuid4().hex[:8]}"
    name = f"{urlsplit(base).path.lstrip('/')}_refused_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(with_database(base, "postgres"), autocommit=True) as admin:
        admin.execute(f"CREATE ROLE {role} LOGIN NOCREATEDB")
    try:
        parts = urlsplit(base)
        netloc = f"{role}@{parts.hostname}:{parts.port or 5432}"
        result = ensure(urlunsplit(parts._replace(netloc=netloc, path=f"/{name}")))
        assert result.returncode == 1
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1, result.stderr
        assert f'database "{name}" does not exist' in lines[0]
        assert f"createdb -h {parts.hostname} -p {parts.port or 5432} -U {role} {name}" in lines[0]
    finally:
        with psycopg.connect(with_database(base, "postgres"), autocommit=True) as admin:
            admin.execute(f"DROP ROLE IF EXISTS {role}")


def test_sqlite_and_no_url_need_nothing():
    for url in ("", "sqlite:////tmp/never-created.sqlite3"):
        result = ensure(url)
        assert result.returncode == 0 and result.stdout == "" and result.stderr == ""
