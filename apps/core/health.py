"""Liveness and readiness. Each readiness check is reported by name; any failure answers 503.

Checks are dotted paths in READINESS_CHECKS so that later parts of the platform (the inference
worker) add theirs without this module importing them.
"""

from __future__ import annotations

import hmac
import time

from django.conf import settings
from django.db import connection
from django.http import JsonResponse
from django.utils.module_loading import import_string
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from django_prometheus.exports import ExportToDjangoView

from .errors import problem_response


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


_last_run: dict = {}


def run_checks_cached() -> tuple[bool, dict]:
    """``run_checks()`` at most once per READINESS_CACHE_SECONDS in this process while it
    passes: a probe storm must not turn into a storm of worker broadcasts. A failure is not
    kept: each web process caches on its own, and a 503 kept from before the inference worker
    answered made another process say "not ready" for seconds after one had said "ready" (seen
    right after `make run`'s banner, in Redis mode)."""
    ttl = settings.READINESS_CACHE_SECONDS
    now = time.monotonic()
    if ttl and _last_run and now - _last_run["at"] < ttl:
        return _last_run["healthy"], _last_run["checks"]
    healthy, checks = run_checks()
    if healthy:
        _last_run.update(at=now, healthy=healthy, checks=checks)
    else:
        _last_run.clear()
    return healthy, checks


def has_metrics_token(request) -> bool:
    """The request carries ``Authorization: Bearer <METRICS_BEARER_TOKEN>``."""
    token = settings.METRICS_BEARER_TOKEN
    scheme, _, value = request.META.get("HTTP_AUTHORIZATION", "").partition(" ")
    return bool(token) and scheme.lower() == "bearer" and hmac.compare_digest(value.strip(), token)


def _is_staff(request) -> bool:
    user = getattr(request, "user", None)
    return bool(user is not None and user.is_authenticated and user.is_staff)


@never_cache
@require_GET
def readyz(request):
    """Ready to take traffic: every named dependency answers. The per-check details (versions,
    errors) only for staff sessions or the metrics token; probes get the status alone."""
    healthy, checks = run_checks_cached()
    body = {"status": "ok" if healthy else "unavailable"}
    if _is_staff(request) or has_metrics_token(request):
        body["checks"] = checks
    return JsonResponse(body, status=200 if healthy else 503)


@never_cache
@require_GET
def metrics(request):
    """Prometheus metrics: the bearer token when one is configured (401 otherwise), public only
    where METRICS_PUBLIC allows it (404 otherwise, as if the path did not exist)."""
    if settings.METRICS_BEARER_TOKEN:
        if not has_metrics_token(request):
            response = problem_response(401, "Metrics need the bearer token.", code="unauthorized")
            response["WWW-Authenticate"] = 'Bearer realm="metrics"'
            return response
    elif not settings.METRICS_PUBLIC:
        return problem_response(404, f"No resource at {request.path}.", code="not_found")
    return ExportToDjangoView(request)
