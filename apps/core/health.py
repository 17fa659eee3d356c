"""Liveness and readiness. Each readiness check is reported by name; any failure answers 503.

Checks are dotted paths in READINESS_CHECKS so that later parts of the platform (the inference
worker) add theirs without this module importing them.
"""

from __future__ import annotations

import time

from django.conf import settings
from django.db import connection
from django.http import JsonResponse
from django.utils.module_loading import import_string
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET


def check_database() -> dict:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return {"vendor": connection.vendor}


def check_broker() -> dict:
    """Ping the Celery broker; without REDIS_URL tasks run in-process and there is none."""
    if not settings.REDIS_URL:
        return {"mode": "in-process tasks (no broker configured)"}
    import redis

    client = redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=2, socket_timeout=2)
    try:
        client.ping()
    finally:
        client.close()
    return {"mode": "redis"}


def run_checks() -> tuple[bool, dict]:
    results, healthy = {}, True
    for name, path in settings.READINESS_CHECKS.items():
        started = time.monotonic()
        try:
            info = import_string(path)() or {}
            results[name] = {"ok": True, **info}
        except Exception as exc:  # a failing dependency is a report, not a crash
            healthy = False
            results[name] = {"ok": False, "error": f"{type(exc).__name__}: {exc}"[:300]}
        results[name]["latency_ms"] = round((time.monotonic() - started) * 1000, 2)
    return healthy, results


@never_cache
@require_GET
def healthz(request):
    """The process is alive and serving (no dependency is touched)."""
    return JsonResponse({"status": "ok"})


@never_cache
@require_GET
def readyz(request):
    """Ready to take traffic: every named dependency answers."""
    healthy, checks = run_checks()
    return JsonResponse(
        {"status": "ok" if healthy else "unavailable", "checks": checks},
        status=200 if healthy else 503,
    )
