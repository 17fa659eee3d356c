"""Platform gauges read from the database, on the web's /metrics (contract 5).

``platform_audit_verification_failures`` (audit chains whose latest verification failed) and
``platform_risk_drift_alerts_open`` (drift findings of live risk models) feed the alert rules of
deploy/prometheus/rules.yml. Each gauge's value comes from a function named by dotted path in
``settings.OPERATIONS_METRIC_SOURCES`` (``f() -> number``), so that this platform app imports
no vertical, the way the console's panels do (``OPERATIONS_PANELS``).

The collector reads at scrape time, so every web process answers alike (Prometheus scrapes one
pod at a time; the rules take the max over pods). Celery workers share the web's registry but
serve their own metrics port: they drop this collector when they start (``worker_init``), so
the database is not read on every scrape of every worker.
"""

from __future__ import annotations

import logging

from celery.signals import worker_init
from django.conf import settings
from django.utils.module_loading import import_string
from prometheus_client import REGISTRY
from prometheus_client.core import GaugeMetricFamily

logger = logging.getLogger(__name__)

HELP = {
    "platform_audit_verification_failures": (
        "Audit chains whose latest finished verification failed"
    ),
    "platform_risk_drift_alerts_open": (
        "Drift warnings and alerts in the latest monitoring run of live risk models"
    ),
}
SOURCE_UP = "platform_metric_source_up"


class PlatformCollector:
    """Yields one gauge per entry of ``OPERATIONS_METRIC_SOURCES``, plus
    ``platform_metric_source_up{metric}`` (0 when a source failed: its gauge is then left out
    rather than reported as a false 0, and the scrape itself still succeeds)."""

    def describe(self):
        # Nothing up front: the registry would otherwise call collect() at registration, before
        # the database may exist.
        return []

    def collect(self):
        up = GaugeMetricFamily(
            SOURCE_UP, "Whether the source of a platform gauge answered", labels=["metric"]
        )
        for name, path in settings.OPERATIONS_METRIC_SOURCES.items():
            try:
                value = float(import_string(path)())
            except Exception:  # one failing source must not take /metrics down
                logger.exception("platform metric %s: source %s failed", name, path)
                up.add_metric([name], 0)
                continue
            up.add_metric([name], 1)
            yield GaugeMetricFamily(name, HELP.get(name, f"Read from {path}"), value=value)
        yield up


collector = PlatformCollector()
_registered = False


def register() -> None:
    """Add the collector to the default registry (the one django-prometheus' /metrics serves);
    called once from the app's ready()."""
    global _registered
    if not _registered:
        REGISTRY.register(collector)
        _registered = True


def unregister() -> None:
    global _registered
    if _registered:
        REGISTRY.unregister(collector)
        _registered = False


@worker_init.connect
def _not_in_celery_workers(**kwargs):
    """A worker pool's metrics port serves the same default registry: leave these to the web."""
    unregister()
