"""The stored answers of real-time transaction scoring (issue 24): one row per scored
transaction, with the features as scored, the fraud model version, the reasons and the
decision. Imported by ``models.py``."""

from __future__ import annotations

import uuid

from django.db import models

from apps.privacy.fields import EncryptedBinaryField


class FraudDecisionOutcome(models.TextChoices):
    ALLOW = "allow", "Allow"
    REVIEW = "review", "Review"
    BLOCK = "block", "Block"


class FraudDecision(models.Model):
    """A scored transaction: probability of fraud, decision, SHAP reasons and the features as
    they were at the transaction's time. ``idempotency_key`` (the request's Idempotency-Key)
    makes a retried request return this row instead of scoring again; ``audited_at`` is set
    when the batched audit event that covers this decision is written."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    tenant = models.ForeignKey(
        "accounts.Tenant", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    transaction = models.OneToOneField(
        "financial_risk.Transaction", on_delete=models.CASCADE, related_name="fraud_decision"
    )
    model = models.ForeignKey(
        "financial_risk.RiskModel", on_delete=models.PROTECT, related_name="+", db_index=False
    )
    idempotency_key = models.CharField(max_length=100, blank=True, default="")
    request_digest = models.CharField(max_length=64, editable=False)
    probability = models.FloatField()
    outcome = models.CharField(max_length=8, choices=FraudDecisionOutcome.choices)
    reasons = models.JSONField(default=list)
    features = models.JSONField(default=dict)
    feature_path = models.CharField(
        max_length=8, default="redis", help_text="redis (window state) or sql (history)"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    audited_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "idempotency_key"],
                condition=~models.Q(idempotency_key=""),
                name="risk_fraud_decision_idempotency",
            )
        ]
        indexes = [
            models.Index(fields=["tenant", "-created_at"], name="risk_fraud_decision_recent"),
            models.Index(
                fields=["tenant", "created_at"],
                condition=models.Q(audited_at__isnull=True),
                name="risk_fraud_decision_unaudited",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.outcome} ({self.probability:.3f})"


class TransactionImportState(models.TextChoices):
    PENDING = "pending", "Waiting for its job"
    STORED = "stored", "Stored"
    REJECTED = "rejected", "Rejected (rows with errors; nothing stored)"


class TransactionImport(models.Model):
    """A CSV file of transactions uploaded for storage by a job. Card numbers are tokenised
    when the file arrives: ``data`` holds the file as the job reads it (gzip JSON lines,
    ``card`` tokens instead of ``card_number``), never a clear number, and is emptied when the
    job ends; it is encrypted at rest under the tenant's data key (``apps.privacy``). A file
    with any bad row is rejected whole; ``errors`` names each row and field."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    tenant = models.ForeignKey("accounts.Tenant", on_delete=models.CASCADE, related_name="+")
    job = models.ForeignKey(
        "jobs.Job", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    filename = models.CharField(max_length=255, blank=True, default="")
    data = EncryptedBinaryField(default=bytes, editable=False)  # under the tenant's data key
    state = models.CharField(
        max_length=10, choices=TransactionImportState.choices,
        default=TransactionImportState.PENDING,
    )  # fmt: skip
    row_count = models.PositiveIntegerField(default=0)
    stored_count = models.PositiveIntegerField(default=0)
    error_count = models.PositiveIntegerField(default=0)
    errors = models.JSONField(
        default=list, blank=True, help_text="[{row, field, message}], the first 1,000"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["tenant", "-created_at"], name="risk_txn_import_recent")]

    def __str__(self) -> str:
        return f"{self.filename or 'import'} ({self.state}, {self.row_count} rows)"
