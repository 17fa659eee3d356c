"""Celery tasks of the financial-risk vertical. Thin: they call services. XGBoost and SHAP run
here, in the default queue's workers, not in the inference worker."""

from __future__ import annotations

from celery import shared_task

from apps.accounts.models import Tenant
from apps.jobs.runner import PermanentJobError, job_task

from .engine.data import SchemaError
from .engine.features import FeatureConfigError
from .models import BatchScoring, Dataset, RiskModel, TransactionImport
from .services import batch_scoring_run, monitoring_run, risk_model_train
from .services.fraud_imports import transaction_import_run
from .services.fraud_models import fraud_model_train
from .services.fraud_scoring import fraud_decisions_audit_all
from .services.monitoring import monitored_models
from .services.rings import fraud_rings_detect


@job_task(name="apps.financial_risk.tasks.risk_model_train_task")
def risk_model_train_task(job, progress) -> dict:
    """Train and register a draft model version from the job's dataset and configurations;
    progress counts cross-validation folds. Retries re-train from scratch (a new version only
    appears at the very end, in one transaction)."""
    params = job.params
    dataset = Dataset.objects.filter(pk=params["dataset_id"], tenant=job.tenant).first()
    if dataset is None:
        raise PermanentJobError("the dataset no longer exists")
    try:
        model = risk_model_train(
            tenant=job.tenant,
            dataset=dataset,
            name=params["name"],
            feature_config=params["feature_config"],
            training_config=params["training_config"],
            decision_config=params["decision_config"],
            job=job,
            progress=progress,
        )
    except (SchemaError, FeatureConfigError) as exc:
        raise PermanentJobError(str(exc)) from exc
    return {
        "model_id": str(model.pk),
        "version": model.version,
        "cv_auc": model.card["metrics"]["cv_auc_mean"],
        "result_url": f"/api/v1/risk/models/{model.pk}/",
    }


@job_task(name="apps.financial_risk.tasks.batch_scoring_task")
def batch_scoring_task(job, progress) -> dict:
    """Score the batch's dataset with its model; decisions replace any earlier attempt's."""
    batch = (
        BatchScoring.objects.select_related("model", "dataset", "tenant")
        .filter(pk=job.params["batch_id"], tenant=job.tenant)
        .first()
    )
    if batch is None:
        raise PermanentJobError("the batch no longer exists")
    return batch_scoring_run(batch=batch, progress=progress)


@job_task(name="apps.financial_risk.tasks.risk_model_monitor_task")
def risk_model_monitor_task(job, progress) -> dict:
    """On-demand monitoring run of one model."""
    model = RiskModel.objects.filter(pk=job.params["model_id"], tenant=job.tenant).first()
    if model is None:
        raise PermanentJobError("the model no longer exists")
    progress(0, 1, "monitoring")
    return monitoring_run(tenant=job.tenant, model=model)


@shared_task(name="apps.financial_risk.tasks.risk_monitoring_scheduled_task")
def risk_monitoring_scheduled_task() -> dict:
    """celery-beat: monitor every champion and challenger of every active tenant. Idempotent in
    effect: each run adds one dated set of findings per model."""
    runs = 0
    for model in monitored_models():
        tenant = Tenant.objects.get(pk=model.tenant_id)
        if tenant.is_active:
            monitoring_run(tenant=tenant, model=model)
            runs += 1
    return {"models": runs}


@job_task(name="apps.financial_risk.tasks.fraud_rings_detect_task")
def fraud_rings_detect_task(job, progress) -> dict:
    """Rebuild the tenant's fraud graph from its transactions and store the rings found."""
    return fraud_rings_detect(
        tenant=job.tenant,
        max_accounts_per_identifier=job.params.get("max_accounts_per_identifier"),
        progress=progress,
    )


# ---------------------------------------------------------------------------- transaction fraud


@job_task(name="apps.financial_risk.tasks.fraud_model_train_task")
def fraud_model_train_task(job, progress) -> dict:
    """Train a fraud model version on the tenant's labelled transactions (a draft; promoted
    through the registry). Retries train again from scratch."""
    try:
        model = fraud_model_train(tenant=job.tenant, name=job.params["name"], job=job,
                                  progress=progress)  # fmt: skip
    except SchemaError as exc:
        raise PermanentJobError(str(exc)) from exc
    return {
        "model_id": str(model.pk),
        "version": model.version,
        "pr_auc": model.card["metrics"]["model"].get("pr_auc"),
        "result_url": f"/api/v1/risk/models/{model.pk}/",
    }


@job_task(name="apps.financial_risk.tasks.fraud_transactions_import_task")
def fraud_transactions_import_task(job, progress) -> dict:
    """Validate an uploaded CSV file's staged rows and store them all, or (a row is bad)
    none, with the errors on the import. Retries find a finished import and do nothing."""
    imported = (
        TransactionImport.objects.select_related("tenant")
        .filter(pk=job.params["import_id"], tenant=job.tenant)
        .first()
    )
    if imported is None:
        raise PermanentJobError("the import no longer exists")
    try:
        return transaction_import_run(imported=imported, progress=progress)
    except SchemaError as exc:
        raise PermanentJobError(
            exc.errors["file"][0] if "file" in exc.errors else str(exc)
        ) from exc


@shared_task(name="apps.financial_risk.tasks.fraud_decisions_audit_task")
def fraud_decisions_audit_task() -> dict:
    """celery-beat: one audit event per tenant for the fraud decisions made since the last
    run. Idempotent: a decision is audited once (``audited_at``)."""
    return fraud_decisions_audit_all()
