import uuid

from django.db import models


class JobState(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    RETRYING = "retrying", "Waiting to retry"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"


FINISHED_STATES = frozenset({JobState.SUCCEEDED, JobState.FAILED, JobState.CANCELLED})


class Job(models.Model):
    """A long piece of work (training, batch scoring, imports…) run by a Celery task.

    The API answers 202 with the job's URL; the task reports progress as done/total and ends in
    succeeded (with a result and, usually, a link to it) or failed (with an error message).
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    tenant = models.ForeignKey("accounts.Tenant", on_delete=models.CASCADE, related_name="jobs")
    kind = models.CharField(max_length=100, help_text="What the job does, e.g. audit.verify")
    state = models.CharField(max_length=16, choices=JobState.choices, default=JobState.QUEUED)
    params = models.JSONField(default=dict, blank=True)
    progress_done = models.PositiveIntegerField(default=0)
    progress_total = models.PositiveIntegerField(null=True, blank=True)
    progress_message = models.CharField(max_length=200, blank=True, default="")
    result = models.JSONField(null=True, blank=True)
    result_url = models.CharField(max_length=500, blank=True, default="")
    error = models.TextField(blank=True, default="")
    attempts = models.PositiveSmallIntegerField(default=0)
    task_name = models.CharField(max_length=200)
    task_id = models.CharField(max_length=64, blank=True, default="")
    actor = models.JSONField(default=dict, blank=True, help_text="Who started the job")
    request_id = models.CharField(max_length=128, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["tenant", "state", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.kind} {self.id} ({self.state})"

    @property
    def is_finished(self) -> bool:
        return self.state in FINISHED_STATES

    @property
    def progress_fraction(self) -> float | None:
        if not self.progress_total:
            return 1.0 if self.state == JobState.SUCCEEDED else None
        return min(1.0, self.progress_done / self.progress_total)
