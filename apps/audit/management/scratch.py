"""A scratch database and anchor store for the attack drill and the benchmark.

``scratch_environment(label)`` creates an empty database beside the configured one (PostgreSQL:
``<database>_<label>_<random>`` on the same server; SQLite: a temporary file) and an empty
``file://`` anchor store in a temporary folder, migrates the database in a subprocess, yields
the environment (DATABASE_URL, AUDIT_ANCHOR_URL) for subprocesses, and drops both afterwards.
"""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import sys
import tempfile
from contextlib import contextmanager

import psycopg
from django.conf import settings
from django.db import connection


def _admin_conninfo(db: dict) -> dict:
    return {
        "host": db.get("HOST") or None,
        "port": db.get("PORT") or None,
        "user": db.get("USER") or None,
        "password": db.get("PASSWORD") or None,
        "dbname": "postgres",
        "autocommit": True,
    }


@contextmanager
def scratch_environment(label: str, *, extra_env: dict | None = None):
    db = settings.DATABASES["default"]
    folder = tempfile.mkdtemp(prefix=f"audit-{label}-")
    anchors = os.path.join(folder, "anchors")
    os.makedirs(anchors)
    tag = secrets.token_hex(4)
    postgres = connection.vendor == "postgresql"
    if postgres:
        # Beside the configured database; a test database's "test_" prefix is dropped.
        name = f"{str(db['NAME']).removeprefix('test_')}_{label}_{tag}"
        conninfo = _admin_conninfo(db)
        with psycopg.connect(**conninfo) as admin:
            admin.execute(f'CREATE DATABASE "{name}"')
        user = db.get("USER") or ""
        auth = f"{user}:{db['PASSWORD']}@" if db.get("PASSWORD") else (f"{user}@" if user else "")
        url = f"postgres://{auth}{db.get('HOST') or '127.0.0.1'}:{db.get('PORT') or 5432}/{name}"
    else:
        url = f"sqlite:///{os.path.join(folder, 'scratch.sqlite3')}"
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "AUDIT_ANCHOR_URL": f"file://{anchors}",
        "DJANGO_SETTINGS_MODULE": os.environ.get("DJANGO_SETTINGS_MODULE", "config.settings.local"),
        **(extra_env or {}),
    }
    try:
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "--noinput"],
            env=env,
            check=True,
            capture_output=True,
            cwd=settings.BASE_DIR,
        )
        yield env
    finally:
        if postgres:
            with psycopg.connect(**conninfo) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        shutil.rmtree(folder, ignore_errors=True)
