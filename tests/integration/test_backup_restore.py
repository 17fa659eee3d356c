"""The backup drill: `make backup` (scripts/backup.sh) and `make restore` (scripts/restore.sh)
into a fresh database, verified against the anchors; an older backup is detected as a
truncation until the operator records the restore (signed, anchored, audited)."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest
from django.db import connection

from apps.accounts.services import tenant_create
from apps.audit.services import audit_checkpoint_create, audit_event_record

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
ROOT = Path(__file__).resolve().parents[2]


def _url(name: str) -> str:
    db = connection.settings_dict
    user = db.get("USER") or "postgres"
    return f"postgres://{user}@{db.get('HOST') or '127.0.0.1'}:{db.get('PORT') or 5432}/{name}"


def _admin(sql: str) -> None:
    db = connection.settings_dict
    with psycopg.connect(
        host=db.get("HOST") or None,
        port=db.get("PORT") or None,
        user=db.get("USER") or None,
        dbname="postgres",
        autocommit=True,
    ) as admin:
        admin.execute(sql)


def _run(args, env):
    return subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)


def _events(tenant, n):
    for i in range(n):
        audit_event_record(tenant=tenant, action="drill.event", resource_id=str(i))
    audit_checkpoint_create()


def test_backup_restore_drill(settings, tmp_path):
    if connection.vendor != "postgresql":
        pytest.fail("the backup drill needs PostgreSQL (pg_dump/pg_restore)")
    anchors = f"file://{tmp_path / 'anchors'}"
    settings.AUDIT_ANCHOR_URL = anchors
    tenant = tenant_create(name="backup drill")
    _events(tenant, 5)
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "AUDIT_ANCHOR_URL": anchors,
        "DATABASE_URL": _url(connection.settings_dict["NAME"]),
        "BACKUP_FILES": str(tmp_path / "files"),
    }
    old = _run(["scripts/backup.sh"], {**env, "BACKUP_DIR": str(tmp_path / "old")})
    assert old.returncode == 0, old.stderr
    assert {p.name for p in (tmp_path / "old").iterdir()} >= {"db.dump", "anchors.tar"}
    _events(tenant, 3)  # history after the old backup, anchored
    new = _run(["scripts/backup.sh"], {**env, "BACKUP_DIR": str(tmp_path / "new")})
    assert new.returncode == 0, new.stderr

    base = str(connection.settings_dict["NAME"]).removeprefix("test_")
    targets = [f"{base}_restore_{secrets.token_hex(3)}" for _ in range(2)]
    try:
        for name in targets:
            _admin(f'CREATE DATABASE "{name}"')
        latest = {**env, "DATABASE_URL": _url(targets[0]), "BACKUP": str(tmp_path / "new")}
        restored = _run(["scripts/restore.sh"], latest)
        assert restored.returncode == 0, restored.stdout + restored.stderr
        assert "verifies against the anchors" in restored.stdout

        older = {**env, "DATABASE_URL": _url(targets[1]), "BACKUP": str(tmp_path / "old")}
        restored = _run(["scripts/restore.sh"], older)
        assert restored.returncode == 3
        assert "truncated" in restored.stderr
        assert "the anchor store recorded seq 8" in restored.stderr  # 5 backed up, 3 after
        manage = [sys.executable, "manage.py"]
        recorded = _run([*manage, "audit_restore_record", "--note", "drill: old backup"], older)
        assert recorded.returncode == 0, recorded.stderr
        verified = _run([*manage, "audit_verify"], older)
        assert verified.returncode == 0 and verified.stdout.startswith("OK:"), verified.stderr
    finally:
        for name in targets:
            _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
