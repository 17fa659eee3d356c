"""Production settings from deploy/production.env.example: `check --deploy` is clean, and the
metrics, schema and docs answer nothing useful without credentials."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "deploy" / "production.env.example"
HOST = "platform.example.com"


def production_env(**overrides) -> dict[str, str]:
    """The example's variables with each placeholder replaced by a fresh secret."""
    env = {"PATH": os.environ.get("PATH", ""), "HOME": os.environ.get("HOME", "/tmp")}
    for line in EXAMPLE.read_text().splitlines():
        name, sep, value = line.strip().partition("=")
        if not sep or name.startswith("#"):
            continue
        if "change-me" in value:
            value = (
                Fernet.generate_key().decode()
                if name == "MEDICAL_RECORDS_ENCRYPTION_KEY"
                else secrets.token_urlsafe(48)
            )
        env[name] = value
    # The example's database host does not exist here: requests use this run's database.
    env["DATABASE_URL"] = os.environ.get("DATABASE_URL", f"sqlite:///{ROOT / 'db.sqlite3'}")
    env.pop("REDIS_URL", None)
    env.update(overrides)
    return env


def _run(args, env) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, *args], env=env, cwd=ROOT, capture_output=True, text=True, timeout=300
    )


def test_check_deploy_is_clean_from_the_example():
    out = _run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], production_env())
    assert out.returncode == 0, out.stdout + out.stderr
    assert "no issues" in out.stdout, out.stdout


PROBE = """
import django, json, os
django.setup()
from django.test import Client
c = Client(HTTP_HOST=%r)
paths = ["/metrics", "/api/schema/", "/api/docs/", "/api/redoc/"]
codes = {p: c.get(p, secure=True).status_code for p in paths}
codes["metrics_with_token"] = c.get(
    "/metrics", secure=True, HTTP_AUTHORIZATION="Bearer " + os.environ["METRICS_BEARER_TOKEN"]
).status_code
codes["metrics_wrong_token"] = c.get(
    "/metrics", secure=True, HTTP_AUTHORIZATION="Bearer nope"
).status_code
ready = c.get("/readyz", secure=True)
codes["readyz_keys"] = sorted(ready.json())
print(json.dumps(codes))
"""


def _probe(env) -> dict:
    out = _run(["-c", PROBE % HOST], env)
    assert out.returncode == 0, out.stderr[-3000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_production_surface_needs_credentials():
    codes = _probe(production_env())
    assert codes["/metrics"] == 401
    assert codes["metrics_wrong_token"] == 401
    assert codes["metrics_with_token"] == 200
    for path in ("/api/schema/", "/api/docs/", "/api/redoc/"):
        assert codes[path] in (401, 404), (path, codes[path])
    assert codes["readyz_keys"] == ["status"], "readiness details are for staff or the token"


def test_without_a_token_metrics_are_404_and_docs_can_be_off():
    codes = _probe(production_env(METRICS_BEARER_TOKEN="", API_DOCS="off"))
    assert codes["/metrics"] == 404
    assert {codes[p] for p in ("/api/schema/", "/api/docs/", "/api/redoc/")} == {404}
