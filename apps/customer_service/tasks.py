"""Celery tasks of the customer-service vertical. Thin: they call services."""

from __future__ import annotations

from celery import shared_task

from apps.accounts.models import Tenant
from apps.jobs.runner import PermanentJobError, job_task

from .models import Conversation
from .services import TrainingDataError, intent_model_train, ratings_report_create


@job_task(name="apps.customer_service.tasks.intent_model_train_task")
def intent_model_train_task(job, progress) -> dict:
    """Train a new intent-model version (embeddings through the inference worker, classifier
    here) and store its evaluation report; a retry trains again from scratch (the version only
    appears at the end, in one transaction)."""
    try:
        model = intent_model_train(
            tenant=job.tenant,
            threshold=job.params.get("threshold", 0.4),
            ambiguity_margin=job.params.get("ambiguity_margin", 0.1),
            job=job,
            progress=progress,
        )
    except TrainingDataError as exc:
        raise PermanentJobError(str(exc)) from exc
    return {
        "model_id": str(model.pk),
        "version": model.version,
        "accuracy": (model.report or {}).get("accuracy"),
        "result_url": f"/api/v1/customer-service/models/{model.pk}/",
    }


@shared_task(name="apps.customer_service.tasks.ratings_weekly_report_task")
def ratings_weekly_report_task() -> dict:
    """celery-beat, weekly: a ratings report of the last seven days for every active tenant
    that had conversations."""
    made = 0
    tenant_ids = Conversation.objects.values_list("tenant_id", flat=True).distinct()
    for tenant in Tenant.objects.filter(pk__in=tenant_ids, is_active=True):
        ratings_report_create(tenant=tenant, days=7)
        made += 1
    return {"reports": made}
