"""Celery tasks of the audit log. Thin: they call services."""

from celery import shared_task

from .services import audit_anchor_run, audit_checkpoint_create


@shared_task
def audit_checkpoint_task() -> dict:
    """Sign a checkpoint of every audit chain that grew since its last one.

    Scheduled by celery-beat every AUDIT_CHECKPOINT_MINUTES (CELERY_BEAT_SCHEDULE). Idempotent:
    running it twice signs nothing new. Returns how many checkpoints it signed.
    """
    return {"checkpoints": len(audit_checkpoint_create())}


@shared_task
def audit_anchor_task() -> dict:
    """Checkpoint every chain that grew and write every unanchored checkpoint to the anchor
    store (AUDIT_ANCHOR_URL). celery-beat runs it every AUDIT_ANCHOR_SECONDS; idempotent."""
    return audit_anchor_run()
