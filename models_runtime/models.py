from django.db import models


class ModelUsage(models.Model):
    """Tokens and compute seconds one tenant used on one model on one day (UTC).

    ``tenant_id`` is a plain UUID, not a foreign key: models_runtime does not depend on the
    accounts app; the caller passes the tenant's id (docs/architecture.md).
    """

    tenant_id = models.UUIDField(db_index=True)
    model = models.CharField(max_length=100)
    day = models.DateField()
    requests = models.PositiveBigIntegerField(default=0)
    tokens_in = models.PositiveBigIntegerField(default=0)
    tokens_out = models.PositiveBigIntegerField(default=0)
    compute_seconds = models.FloatField(default=0)

    class Meta:
        ordering = ["-day", "model"]
        constraints = [
            models.UniqueConstraint(fields=["tenant_id", "model", "day"], name="one_usage_row")
        ]

    def __str__(self) -> str:
        return f"{self.tenant_id} {self.model} {self.day}"
