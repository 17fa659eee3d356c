"""Celery tasks of the medical-records vertical. Thin: they call services. medspaCy and
Presidio run here, in the default queue's workers, not in the inference worker."""

from __future__ import annotations

from apps.jobs.runner import PermanentJobError, job_task

from .models import NoteBatch
from .services import note_batch_run


@job_task(name="apps.medical_records.tasks.note_batch_task")
def note_batch_task(job, progress) -> dict:
    """Structure a bulk upload (de-identify, extract, check, FHIR) chunk by chunk; a retry
    continues after the notes already stored."""
    batch = (
        NoteBatch.objects.select_related("tenant")
        .filter(pk=job.params["batch_id"], tenant=job.tenant)
        .first()
    )
    if batch is None:
        raise PermanentJobError("the batch no longer exists")
    return note_batch_run(batch=batch, progress=progress)
