"""Adaptation jobs. They run on the ``inference`` queue (config/celery.py routes them), on the
workers that hold the GPU, and wait on no other task."""

from __future__ import annotations

from apps.adaptation.engine.lora import ConfigError
from apps.adaptation.engine.pairs import PairsError
from apps.adaptation.models import AdapterVersion
from apps.adaptation.services import adapter_evaluate, adapter_train
from apps.jobs.runner import PermanentJobError, job_task


@job_task(name="apps.adaptation.tasks.adapter_train_task", max_retries=0)
def adapter_train_task(job, progress) -> dict:
    """Train a LoRA adapter from the job's params and register it as a draft version."""
    try:
        adapter = adapter_train(tenant=job.tenant, job=job, progress=progress, **job.params)
    except (PairsError, ConfigError) as exc:
        raise PermanentJobError(str(exc)) from exc
    return {
        "adapter": str(adapter.pk),
        "label": adapter.label,
        "evaluation": {k: v for k, v in adapter.evaluation.items() if k != "examples"},
        "history": adapter.card["training"]["history"],
        "result_url": f"/api/v1/adaptation/adapters/{adapter.pk}/",
    }


@job_task(name="apps.adaptation.tasks.adapter_evaluate_task", max_retries=0)
def adapter_evaluate_task(job, progress) -> dict:
    """Evaluate an adapter version (base and adapted) on its validation pairs again."""
    adapter = AdapterVersion.objects.get(tenant=job.tenant, pk=job.params["adapter"])
    adapter = adapter_evaluate(tenant=job.tenant, adapter=adapter, progress=progress)
    return {
        "adapter": str(adapter.pk),
        "evaluation": {k: v for k, v in adapter.evaluation.items() if k != "examples"},
        "result_url": f"/api/v1/adaptation/adapters/{adapter.pk}/",
    }
