"""Throughput, latency, jobs and failures for the console, read from shared stores.

Requests per vertical and their latency come from ``recorder`` (each web process adds every API
request to per-minute counts in Redis): the time a client waited, whichever process served it.
Model calls per model come from the audit log, where every model call is an event with the
model's name, written whichever process made it. Neither comes from Prometheus counters: those
live in one process each (each gunicorn worker has its own) and restart from zero with it;
summing them over time is what Prometheus and Grafana are for (``deploy/grafana/``). Audited
``latency_ms`` is not used for latency: it times the audited block (the writes after the model
calls), not the request. The recorder has no tenant, so operators who are not superusers see
their tenants' audited actions per vertical, without latency.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from apps.audit.models import AuditEvent, Outcome
from apps.core import verticals
from apps.jobs.models import Job, JobState

from . import recorder

WINDOW = timedelta(hours=1)
BUCKET = timedelta(minutes=1)
# Newest events read for the window; past this the figures are a sample (flagged on the page).
MAX_EVENTS = 50_000
# Action prefixes (the part before the first dot) shown as their own group; the verticals'
# come from their declarations (name and action_prefixes); others are "platform".
PLATFORM_GROUPS = {
    "inference": "inference API",
    "knowledge": "knowledge",
}
ACTIVE_JOB_STATES = (JobState.QUEUED, JobState.RUNNING, JobState.RETRYING)
FAILED_OUTCOMES = (Outcome.ERROR, Outcome.FAILURE)


def _scoped(queryset, tenants):
    return queryset if tenants is None else queryset.filter(tenant__in=tenants)


def vertical_of(action: str) -> str:
    prefix = action.split(".", 1)[0]
    return PLATFORM_GROUPS.get(prefix) or verticals.action_groups().get(prefix, "platform")


def throughput_last_hour(*, tenants=None, now=None) -> dict:
    """Per vertical and per model: a series of 60 one-minute counts, the window's total,
    errors, and (for requests per vertical, seen by superusers) p50/p95 latency. Denied
    requests are left out of the audited counts: they are refusals, not work."""
    now = now or timezone.now()
    since = now - WINDOW
    buckets = int(WINDOW / BUCKET)
    audited = _audited(tenants=tenants, since=since, buckets=buckets)
    labels = [(since + BUCKET * (i + 1)).strftime("%H:%M") for i in range(buckets)]
    by_vertical = (
        _requests(now=now, buckets=buckets)
        if tenants is None
        else {
            name: {**g.summary(), "series": g.series(buckets)}
            for name, g in audited["vertical"].items()
        }
    )
    return {
        "since": since.isoformat(),
        "until": now.isoformat(),
        "labels": labels,
        "vertical_source": "API requests (all tenants)" if tenants is None else "audited actions",
        "events_read": audited["read"],
        "sampled": audited["read"] >= MAX_EVENTS,
        "by_vertical": dict(sorted(by_vertical.items())),
        "by_model": {
            name: {**group.summary(), "series": group.series(buckets)}
            for name, group in sorted(audited["model"].items())
        },
        "empty": empty_chart_notes(
            tenants=tenants, by_vertical=by_vertical, by_model=audited["model"]
        ),
    }


def empty_chart_notes(*, tenants, by_vertical: dict, by_model: dict) -> dict[str, str | None]:
    """For each console chart with nothing to draw, why, and what would fill it (a setting, a
    service, a role); None for a chart that has data. Grafana's "no data yet because ..."."""
    requests = any(g.get("requests") for g in by_vertical.values())
    if tenants is not None:
        traffic = None if requests else "No audited actions of your tenants in the last hour."
        latency = (
            "Latency is shown to superusers only: request timings are platform-wide and carry "
            "no tenant, so a tenant's view has none."
        )
    else:
        traffic = None if requests else "No API requests (/api/v1/) in the last hour."
        if traffic and not settings.REDIS_URL:
            traffic = (
                "No API requests (/api/v1/) counted in the last hour by the web process that drew "
                "this page: without Redis each process keeps its own counts (set REDIS_URL to "
                "count every process's requests)."
            )
        has_latency = any(g.get("p50_ms") is not None for g in by_vertical.values())
        latency = None if has_latency else traffic or "No API request timings in the last hour."
    models = None if by_model else "No model calls in the last hour (counted from the audit log)."
    return {
        "chart-vertical-rate": traffic,
        "chart-model-rate": models,
        "chart-vertical-latency": latency,
        "chart-vertical-status": traffic,
    }


def _requests(*, now, buckets: int) -> dict:
    """The recorder's last ``buckets`` minutes, ending with the current one, per group."""
    last = int(now.timestamp() // 60)
    rows = recorder.minutes(last - buckets + 1, buckets)
    groups: dict[str, dict] = {}
    for index, row in enumerate(rows):
        for field, value in row.items():
            name, what = field.rsplit("|", 1)
            g = groups.setdefault(
                name,
                {
                    "series": [0] * buckets,
                    "hist": [0] * (len(recorder.BOUNDS_MS) + 1),
                    "status": defaultdict(int),
                    "ms": 0,
                },
            )
            if what == "n":
                g["series"][index] += value
            elif what == "ms":
                g["ms"] += value
            elif what.startswith("b"):
                g["hist"][int(what[1:])] += value
            elif what.startswith("s"):
                g["status"][f"{what[1:]}xx"] += value
    out = {}
    for name, g in groups.items():
        count = sum(g["series"])
        out[name] = {
            "requests": count,
            "errors": g["status"].get("5xx", 0),
            "status": dict(sorted(g["status"].items())),
            "per_minute": round(count / buckets, 2),
            "mean_ms": round(g["ms"] / count, 1) if count else None,
            "p50_ms": recorder.percentile_ms(g["hist"], 0.50),
            "p95_ms": recorder.percentile_ms(g["hist"], 0.95),
            "series": g["series"],
        }
    return out


def _audited(*, tenants, since, buckets: int) -> dict:
    """Audited actions of the window per vertical and per model (counts and errors)."""
    events = (
        _scoped(AuditEvent.objects.filter(created_at__gte=since), tenants)
        .exclude(outcome=Outcome.DENIED)
        .order_by("-created_at")
        .values_list("created_at", "action", "model_name", "outcome")[:MAX_EVENTS]
    )
    found = {"vertical": defaultdict(_Group), "model": defaultdict(_Group), "read": 0}
    for created_at, action, model_name, outcome in events.iterator(chunk_size=5000):
        found["read"] += 1
        index = min(buckets - 1, int((created_at - since) / BUCKET))
        failed = outcome in FAILED_OUTCOMES
        found["vertical"][vertical_of(action)].add(index, failed)
        if model_name:
            found["model"][model_name].add(index, failed)
    return found


class _Group:
    """Counts per minute and errors of one vertical or model (audited actions)."""

    def __init__(self):
        self.per_bucket: dict[int, int] = defaultdict(int)
        self.count = 0
        self.errors = 0

    def add(self, index: int, failed: bool) -> None:
        self.per_bucket[index] += 1
        self.count += 1
        self.errors += failed

    def summary(self) -> dict:
        return {
            "requests": self.count,
            "errors": self.errors,
            "per_minute": round(self.count / (WINDOW / timedelta(minutes=1)), 2),
            "p50_ms": None,
            "p95_ms": None,
        }

    def series(self, buckets: int) -> list[int]:
        return [self.per_bucket.get(i, 0) for i in range(buckets)]


def jobs_in_flight(*, tenants=None, limit: int = 50) -> list[dict]:
    """Queued, running and retrying jobs, oldest first, with their progress."""
    jobs = (
        _scoped(Job.objects.filter(state__in=ACTIVE_JOB_STATES), tenants)
        .select_related("tenant")
        .order_by("created_at")[:limit]
    )
    return [
        {
            "id": str(job.pk),
            "tenant": job.tenant.slug,
            "kind": job.kind,
            "state": job.state,
            "done": job.progress_done,
            "total": job.progress_total,
            "fraction": job.progress_fraction,
            "message": job.progress_message,
            "attempts": job.attempts,
            "created_at": job.created_at.isoformat(),
        }
        for job in jobs
    ]


def recent_failures(*, tenants=None, limit: int = 20, now=None) -> dict:
    """Jobs failed in the last day, and actions that raised or reported failure in the last
    hour (from the audit log: request id, status and action, never the request's data)."""
    now = now or timezone.now()
    jobs = (
        _scoped(
            Job.objects.filter(state=JobState.FAILED, finished_at__gte=now - timedelta(days=1)),
            tenants,
        )
        .select_related("tenant")
        .order_by("-finished_at")[:limit]
    )
    events = (
        _scoped(
            AuditEvent.objects.filter(created_at__gte=now - WINDOW, outcome__in=FAILED_OUTCOMES),
            tenants,
        )
        .select_related("tenant")
        .order_by("-created_at")[:limit]
    )
    return {
        "jobs": [
            {
                "id": str(job.pk),
                "tenant": job.tenant.slug,
                "kind": job.kind,
                "attempts": job.attempts,
                "error": job.error[:300],
                "finished_at": job.finished_at.isoformat(),
            }
            for job in jobs
        ],
        "actions": [
            {
                "tenant": event.tenant.slug if event.tenant else "",
                "action": event.action,
                "outcome": event.outcome,
                "status_code": event.status_code,
                "model": event.model_name,
                "request_id": event.request_id,
                "created_at": event.created_at.isoformat(),
            }
            for event in events
        ],
    }
