"""Logging, health and metrics, and the operator console."""

from .core import env

# ---------------------------------------------------------------------------- logging
LOG_LEVEL = env("DJANGO_LOG_LEVEL", default="INFO")
LOG_FORMAT = env("DJANGO_LOG_FORMAT", default="json")  # json | text
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"mask_pii": {"()": "apps.privacy.logging.PiiMaskingFilter"}},
    "formatters": {
        "json": {"()": "apps.privacy.logging.JsonLogFormatter"},
        "text": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT,
            # On the handler, not on loggers: records propagated from any library pass here.
            "filters": ["mask_pii"],
        },
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "presidio-analyzer": {"level": "ERROR"},
        # Its INFO line repeats each task's whole result (embedding vectors, generated text):
        # noise, personal data to mask, and milliseconds per task. Metrics count the tasks.
        "celery.app.trace": {"level": "WARNING"},
    },
}

# ---------------------------------------------------------------------------- health
# /metrics: with METRICS_BEARER_TOKEN set, only "Authorization: Bearer <token>" reads it (401
# otherwise); without a token it is public only where METRICS_PUBLIC is true (development), else
# 404. The other way to keep it private is a separate listen address: METRICS_EXPORT_PORT (with
# METRICS_EXPORT_ADDRESS) makes django-prometheus serve it from each process on an internal port,
# and METRICS_PUBLIC=false closes the web path (docs/security.md).
METRICS_BEARER_TOKEN = env("METRICS_BEARER_TOKEN", default="")
METRICS_PUBLIC = env.bool("METRICS_PUBLIC", default=True)
if env("METRICS_EXPORT_PORT", default=""):
    PROMETHEUS_METRICS_EXPORT_PORT_RANGE = range(
        env.int("METRICS_EXPORT_PORT"), env.int("METRICS_EXPORT_PORT") + 32
    )
    PROMETHEUS_METRICS_EXPORT_ADDRESS = env("METRICS_EXPORT_ADDRESS", default="127.0.0.1")
# /readyz runs every readiness check (one of them pings the workers); each process answers from
# a result at most this old, and only staff sessions or the metrics token see the details.
READINESS_CACHE_SECONDS = env.int("READINESS_CACHE_SECONDS", default=5)
# The OpenAPI schema and its docs pages: "public", "authenticated" (an API key or a session;
# 401 otherwise) or "off" (404).
API_DOCS = env("API_DOCS", default="public")
READINESS_CHECKS = {
    "database": "apps.core.health.check_database",
    "broker": "apps.core.health.check_broker",
}

# ---------------------------------------------------------------------------- operations console
# Panels that verticals fill, by dotted path so that the console imports none of them; each is
# called as f(*, tenant=None, limit=20) -> list[dict] (apps/operations/panels.py).
# The verticals' declarations add theirs (config/settings/verticals.py).
OPERATIONS_PANELS: dict[str, str] = {}
# Gauges of the web's /metrics read from the database (apps/operations/metrics.py), by dotted
# path f() -> number so that the platform imports no vertical; the alert rules use them.
OPERATIONS_METRIC_SOURCES = {
    "platform_audit_verification_failures": "apps.operations.panels.audit_chains_failing",
}
# Redis key prefix of the console's per-minute request counts (apps/operations/recorder.py).
OPERATIONS_METRICS_PREFIX = env("OPERATIONS_METRICS_PREFIX", default="ops:requests")
# A web process sends its request counts to Redis at most this often (seconds); the console reads
# other processes' counts this much later. 0 sends every request's at once.
OPERATIONS_METRICS_FLUSH_S = env.float("OPERATIONS_METRICS_FLUSH_S", default=1.0)
