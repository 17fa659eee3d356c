"""The benchmark smoke tests' databases start migrated: copies of one template per migration
history (benchmarks.harness.smoke.ensure_database)."""

from __future__ import annotations

import os

import psycopg
import pytest
from psycopg import sql

from benchmarks.harness.smoke import ensure_database, migrations_digest, with_path

pytestmark = pytest.mark.postgres


def _drop(url: str, name: str) -> None:
    with psycopg.connect(with_path(url, "/postgres"), autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))


def test_a_new_smoke_database_is_a_migrated_copy():
    url = os.environ["DATABASE_URL"]
    names = [f"smoke_probe_{n}" for n in ("a", "b")]
    try:
        for name in names:
            created = ensure_database(url, name)
            assert created.endswith(f"/{name}_{migrations_digest()}")
            with psycopg.connect(created) as conn:
                applied = conn.execute("SELECT count(*) FROM django_migrations").fetchone()[0]
                tenants = conn.execute("SELECT count(*) FROM accounts_tenant").fetchone()[0]
            assert applied > 50  # every app's history, not an empty database
            assert tenants == 0
        with psycopg.connect(with_path(url, "/postgres")) as conn:
            building = conn.execute(
                "SELECT count(*) FROM pg_database WHERE datname = %s",
                [f"smoke_template_{migrations_digest()}_building"],
            ).fetchone()[0]
        assert building == 0
    finally:
        for name in names:
            _drop(url, f"{name}_{migrations_digest()}")
