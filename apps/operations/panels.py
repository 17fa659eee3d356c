"""Panels of the console that other parts of the platform fill.

The verticals' panels (drift alerts of the risk monitor, the customer-service handoff queue) are
functions named by dotted path in ``settings.OPERATIONS_PANELS``, each called as
``f(*, tenant=None, limit=20) -> list[dict]``: the console imports no vertical, and a panel
whose function is missing or fails shows its error instead of taking the page down.
"""

from __future__ import annotations

from django.conf import settings
from django.db.models import F, OuterRef, Subquery
from django.utils.module_loading import import_string

from apps.audit.models import AuditCheckpoint
from apps.audit_surface.verifications import VERIFY_JOB_KIND
from apps.jobs.models import Job, JobState

PANEL_LIMIT = 20


def vertical_panel(name: str, *, tenants=None, limit: int = PANEL_LIMIT) -> dict:
    """Rows of the panel ``name`` for every tenant (superusers: ``tenants`` None) or for each
    of ``tenants``, newest first as the provider orders them; ``error`` when it cannot answer."""
    path = settings.OPERATIONS_PANELS.get(name, "")
    try:
        provider = import_string(path)
        if tenants is None:
            rows = list(provider(tenant=None, limit=limit))
        else:
            rows = [row for tenant in tenants for row in provider(tenant=tenant, limit=limit)]
    except Exception as exc:  # one broken vertical must not hide the rest of the console
        return {"rows": [], "error": f"{type(exc).__name__}: {exc}"[:300], "source": path}
    return {"rows": rows[:limit], "error": "", "source": path}


def audit_verification_last(*, tenants=None) -> dict:
    """The newest finished verification of an audit chain (a job of kind ``audit.verify``)
    and the newest signed checkpoint."""
    jobs = Job.objects.filter(
        kind=VERIFY_JOB_KIND, state__in=[JobState.SUCCEEDED, JobState.FAILED]
    ).select_related("tenant")
    checkpoints = AuditCheckpoint.objects.all()
    if tenants is not None:
        jobs = jobs.filter(tenant__in=tenants)
        checkpoints = checkpoints.filter(tenant__in=tenants)
    job = jobs.order_by("-finished_at").first()
    checkpoint = checkpoints.order_by("-created_at").first()
    verification = None
    if job is not None:
        result = job.result or {}
        problems = result.get("problems") or []
        verification = {
            "tenant": job.tenant.slug,
            "finished_at": job.finished_at.isoformat() if job.finished_at else None,
            "state": job.state,
            "ok": bool(result.get("ok")) and job.state == JobState.SUCCEEDED,
            "events": result.get("events"),
            "problems": len(problems),
            "first_problem": problems[0].get("message", "") if problems else job.error[:300],
        }
    return {
        "verification": verification,
        "checkpoint": {
            "chain": checkpoint.chain,
            "seq": checkpoint.seq,
            "created_at": checkpoint.created_at.isoformat(),
        }
        if checkpoint is not None
        else None,
    }


def audit_chains_failing() -> int:
    """How many tenants' audit chains failed their latest finished verification (a failed
    job, or one that found problems). The web's /metrics exports it as
    ``platform_audit_verification_failures``; an older failure that a later verification of the
    same chain no longer finds does not count."""
    finished = Job.objects.filter(
        kind=VERIFY_JOB_KIND, state__in=[JobState.SUCCEEDED, JobState.FAILED]
    )
    newest = finished.filter(tenant=OuterRef("tenant")).order_by(
        F("finished_at").desc(nulls_last=True), "-created_at"
    )
    latest = finished.filter(pk=Subquery(newest.values("pk")[:1]))
    return latest.count() - latest.filter(state=JobState.SUCCEEDED, result__ok=True).count()
