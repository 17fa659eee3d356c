"""The stored answers of real-time transaction scoring (issue 24): one row per scored
transaction, with the features as scored, the fraud model version, the reasons and the
decision. Imported by ``models.py``."""

from __future__ import annotations

import uuid

from django.db import models


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
