"""Monitoring a model on live traffic: PSI per input column and for the score between the
training data and recent decisions, and adversarial validation; findings stored with an
alert state. Scheduled by celery-beat for every champion and challenger, and on demand."""

from __future__ import annotations

import uuid
from datetime import timedelta

import numpy as np
from django.conf import settings
from django.utils import timezone

from apps.audit.services import audited
from apps.financial_risk.engine import monitoring as drift
from apps.financial_risk.engine.data import NUMERIC, table_from_records, table_take
from apps.financial_risk.models import (
    Alert,
    Dataset,
    Decision,
    FindingKind,
    ModelState,
    MonitoringFinding,
    RiskModel,
)
from apps.financial_risk.selectors import dataset_table, model_schema, scoring_model
from apps.jobs.models import Job
from apps.jobs.services import job_create
from apps.notifications.alerts import Severity, alert_raise

MONITOR_JOB_KIND = "financial_risk.monitor"
MONITOR_TASK_NAME = "apps.financial_risk.tasks.risk_model_monitor_task"
# Fewer recent decisions than this and drift figures are noise: the run records nothing.
MIN_RECENT_ROWS = 30
# Both sides of adversarial validation are capped so a scheduled run stays cheap.
ADVERSARIAL_MAX_ROWS = 5000


def recent_inputs(model: RiskModel, since) -> list[dict]:
    """Single decisions' stored inputs; batch decisions through their dataset row."""
    decisions = Decision.objects.filter(
        tenant_id=model.tenant_id, model=model, created_at__gte=since
    )
    records = list(decisions.filter(batch__isnull=True).values_list("inputs", flat=True)[:50_000])
    batched = (
        decisions.filter(batch__isnull=False)
        .values_list("batch__dataset_id", "row_number")
        .order_by("batch__dataset_id")[:50_000]
    )
    by_dataset: dict = {}
    for dataset_id, row in batched:
        by_dataset.setdefault(dataset_id, []).append(row)
    if by_dataset:
        for dataset in Dataset.objects.filter(pk__in=by_dataset):
            table = dataset_table(dataset)
            rows = np.asarray(by_dataset[dataset.pk])
            part = table_take(table, rows)
            for i in range(len(rows)):
                records.append({name: _plain(values[i]) for name, values in part.items()})
    return records


def _all_missing(values) -> bool:
    if values.dtype.kind == "f":
        return bool(np.isnan(values).all())
    return all(v is None for v in values)


def _plain(value):
    if isinstance(value, float | np.floating):
        return None if np.isnan(value) else float(value)
    return value


def monitoring_run(*, tenant, model: RiskModel, window_days: int | None = None) -> dict:
    """Compare recent traffic of ``model`` with its training data; store the findings of this
    run (one per input column, one for the score, one adversarial) and return a summary."""
    window = window_days or settings.RISK_MONITORING_WINDOW_DAYS
    since = timezone.now() - timedelta(days=window)
    records = recent_inputs(model, since)
    run_id = uuid.uuid4()
    summary = {"run_id": str(run_id), "model": model.label, "recent_rows": len(records)}
    if len(records) < MIN_RECENT_ROWS:
        summary["skipped"] = f"fewer than {MIN_RECENT_ROWS} recent decisions"
        return summary
    schema = model_schema(model)
    recent = table_from_records(records, schema)
    reference = model.card.get("reference", {})
    findings = []
    loaded = scoring_model(model)
    for column, ref in reference.items():
        if column == "__score__" or column not in recent:
            continue
        values = recent[column]
        if column not in loaded.pipeline.sources and _all_missing(values):
            continue  # a protected attribute that live requests do not send: nothing to compare
        value = drift.psi(ref["expected"], drift.bucket_shares(values, ref))
        findings.append(
            MonitoringFinding(
                tenant=tenant,
                model=model,
                run_id=run_id,
                kind=FindingKind.PSI_FEATURE,
                feature=column,
                value=round(value, 5),
                alert=drift.psi_alert(value),
                details={"thresholds": [drift.PSI_WARNING, drift.PSI_ALERT], "rows": len(records)},
            )
        )
    scored = loaded.score(recent, explain=False)
    if "__score__" in reference:
        ref = reference["__score__"]
        value = drift.psi(ref["expected"], drift.bucket_shares(scored.probability, ref))
        findings.append(
            MonitoringFinding(
                tenant=tenant,
                model=model,
                run_id=run_id,
                kind=FindingKind.PSI_SCORE,
                feature="probability_of_default",
                value=round(value, 5),
                alert=drift.psi_alert(value),
                details={"thresholds": [drift.PSI_WARNING, drift.PSI_ALERT], "rows": len(records)},
            )
        )
    if model.dataset_id is not None:
        training = dataset_table(model.dataset)
        for column in loaded.pipeline.sources:
            if schema.kind(column) == NUMERIC:
                training[column] = np.asarray(training[column], dtype=np.float64)
        rng = np.random.default_rng(0)
        n_train = min(ADVERSARIAL_MAX_ROWS, len(next(iter(training.values()))))
        n_recent = min(ADVERSARIAL_MAX_ROWS, len(records))
        train_rows = rng.choice(len(next(iter(training.values()))), n_train, replace=False)
        recent_rows = rng.choice(len(records), n_recent, replace=False)
        result = drift.adversarial_validation(
            loaded.pipeline.transform(table_take(training, train_rows)),
            loaded.pipeline.transform(table_take(recent, recent_rows)),
            loaded.grouping,
            loaded.pipeline.sources,
        )
        findings.append(
            MonitoringFinding(
                tenant=tenant,
                model=model,
                run_id=run_id,
                kind=FindingKind.ADVERSARIAL,
                feature=", ".join(f["feature"] for f in result["top_features"][:3]),
                value=round(result["auc"], 4),
                alert=drift.adversarial_alert(result["auc"]),
                details=result,
            )
        )
    with audited(
        tenant=tenant,
        action="financial_risk.monitoring.run",
        resource_type="financial_risk.riskmodel",
        resource_id=str(model.pk),
        model_name=model.name,
        model_revision=f"v{model.version}",
    ) as event:
        MonitoringFinding.objects.bulk_create(findings)
        alerts = [f for f in findings if f.alert != Alert.OK]
        event.row_count = len(records)
        event.details = {"run_id": str(run_id), "alerts": len(alerts)}
    drift_alert_raise(tenant=tenant, model=model, findings=alerts, run_id=run_id)
    summary.update(
        {
            "findings": len(findings),
            "alerts": {
                state: sum(1 for f in findings if f.alert == state) for state in Alert.values
            },
            "worst": sorted(
                (
                    {"kind": f.kind, "feature": f.feature, "value": f.value, "alert": f.alert}
                    for f in findings
                    if f.alert != Alert.OK
                ),
                key=lambda f: (f["alert"] != Alert.ALERT, -f["value"]),
            )[:10],
        }
    )
    return summary


def drift_alert_raise(*, tenant, model: RiskModel, findings, run_id):
    """The drift findings of one run (warnings and alerts) as one alert of the model: critical
    when any finding is an alert, else a warning; one open alert per model, counted again by
    each run that still finds drift. None when the run found none."""
    if not findings:
        return None
    worst = sorted(findings, key=lambda f: (f.alert != Alert.ALERT, -f.value))
    critical = any(f.alert == Alert.ALERT for f in findings)
    top = worst[0]
    return alert_raise(
        tenant=tenant,
        source="financial_risk.drift",
        severity=Severity.CRITICAL if critical else Severity.WARNING,
        title=f"Drift on {model.label}: {len(findings)} finding(s), worst {top.kind} "
        f"{top.feature} {round(top.value, 3)}",
        dedup_key=str(model.pk),
        domain="financial_risk",
        details={
            "model": str(model.pk),
            "run_id": str(run_id),
            "findings": [
                {"kind": f.kind, "feature": f.feature, "value": f.value, "alert": f.alert}
                for f in worst[:10]
            ],
        },
    )


def monitoring_start(*, tenant, model: RiskModel) -> Job:
    """Run monitoring for ``model`` now, as a job."""
    with audited(
        tenant=tenant, action="financial_risk.monitoring.start", resource_type="jobs.job"
    ) as event:
        job = job_create(
            tenant=tenant,
            kind=MONITOR_JOB_KIND,
            task_name=MONITOR_TASK_NAME,
            params={"model_id": str(model.pk)},
        )
        event.resource_id = job.pk
    job.refresh_from_db()
    return job


def monitored_models():
    """Every live model (champions and challengers) of every tenant: the scheduled run."""
    return (
        # credit models only: a fraud model's drift is not measured on credit decisions
        RiskModel.objects.filter(
            state__in=[ModelState.CHAMPION, ModelState.CHALLENGER], purpose="credit"
        )
        .select_related("tenant")
        .defer("booster")
    )
