"""The zero-setup SQLite mode is configured for concurrent writers (issue 18): WAL, a busy
timeout and IMMEDIATE transactions, so a batch job and the web process coexist. Checked on a
real database file in a subprocess with the project's settings and no DATABASE_URL to PostgreSQL."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

PROBE = r"""
import json, threading, time
import django
django.setup()
from django.db import connection, connections, transaction

with connection.cursor() as cursor:
    cursor.execute("PRAGMA journal_mode")
    journal = cursor.fetchone()[0]
    cursor.execute("PRAGMA busy_timeout")
    busy_ms = cursor.fetchone()[0]
    cursor.execute("CREATE TABLE IF NOT EXISTS probe (n integer)")

# Two writers at once: the second waits for the first instead of failing "database is locked".
errors, held = [], threading.Event()

def writer(n, hold_s):
    try:
        with transaction.atomic():
            with connections["default"].cursor() as cursor:
                cursor.execute("INSERT INTO probe VALUES (%s)", [n])
                held.set()
                time.sleep(hold_s)
    except Exception as exc:
        errors.append(repr(exc))
    finally:
        connections["default"].close()

first = threading.Thread(target=writer, args=(1, 1.0))
first.start()
held.wait(10)
second = threading.Thread(target=writer, args=(2, 0))
second.start()
first.join(); second.join()
with connection.cursor() as cursor:
    cursor.execute("SELECT count(*) FROM probe")
    rows = cursor.fetchone()[0]
print(json.dumps({"journal": journal, "busy_ms": busy_ms, "errors": errors, "rows": rows}))
"""


def test_sqlite_mode_uses_wal_a_busy_timeout_and_lets_two_writers_take_turns(tmp_path):
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "DJANGO_SETTINGS_MODULE": "config.settings.local",
    }
    env.pop("REDIS_URL", None)
    done = subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["journal"] == "wal"
    assert report["busy_ms"] >= 20_000
    assert report["errors"] == [] and report["rows"] == 2
