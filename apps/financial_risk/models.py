"""Tables of the financial-risk vertical: datasets, registered model versions, decisions,
batch scorings, monitoring findings, and the accounts, transactions and rings of fraud
detection. Every row belongs to one tenant."""

from __future__ import annotations

import uuid

from django.db import models

from apps.core.public_ids import PublicIdModel
from apps.privacy.fields import EncryptedBinaryField, EncryptedJSONField

# ModelState (the registry's states) is imported from here by every caller that filters risk
# models by state, and by the API's RiskModelStateEnum.
from apps.registry.models import ModelState, VersionedModel, versioned_constraints


class DatasetKind(models.TextChoices):
    APPLICATIONS = "applications", "Credit applications"
    TRANSACTIONS = "transactions", "Transactions"


class Dataset(models.Model):
    """An uploaded table (CSV or Parquet) with its declared schema, validated on upload.

    The rows are kept as Parquet bytes in the database, so every worker reads the same data
    without a shared file system; ``digest`` (SHA-256 of those bytes) goes on model cards.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    tenant = models.ForeignKey("accounts.Tenant", on_delete=models.CASCADE, related_name="+")
    name = models.CharField(max_length=200)
    kind = models.CharField(
        max_length=16, choices=DatasetKind.choices, default=DatasetKind.APPLICATIONS
    )
    schema = models.JSONField(help_text="columns (name → kind), protected, positive")
    # The uploaded rows (Parquet), at rest under the tenant's data key (apps.privacy).
    data = EncryptedBinaryField(editable=False)
    digest = models.CharField(max_length=64, editable=False)
    row_count = models.PositiveIntegerField()
    source_filename = models.CharField(max_length=255, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.row_count} rows)"


class ModelPurpose(models.TextChoices):
    CREDIT = "credit", "Credit decisions"
    FRAUD = "fraud", "Transaction fraud"


class RiskModel(VersionedModel):
    """A registered model version (``apps.registry``): fitted transforms, booster,
    calibration, decision rules and its model card. ``name`` groups the versions of one model;
    one champion (and at most one challenger, scored in shadow) per name and tenant.
    ``purpose`` tells credit models (scored by ``/decisions/``) from transaction-fraud models
    (scored by ``/transactions/score``)."""

    # ``promoted_at`` is the time of the version's last move, retirement included (the API
    # has always shown it so).
    stamped_states = frozenset({ModelState.CHALLENGER, ModelState.CHAMPION, ModelState.RETIRED})

    name = models.CharField(max_length=100)
    purpose = models.CharField(
        max_length=8, choices=ModelPurpose.choices, default=ModelPurpose.CREDIT, db_index=True
    )
    dataset = models.ForeignKey(
        Dataset, on_delete=models.SET_NULL, null=True, blank=True, related_name="models"
    )
    feature_config = models.JSONField(default=dict)
    training_config = models.JSONField(default=dict)
    decision_config = models.JSONField(default=dict)
    fitted_state = models.JSONField(default=dict, help_text="fitted transforms and calibration")
    booster = models.BinaryField(editable=False, default=b"")
    card = models.JSONField(default=dict, help_text="the model card")

    class Meta:
        ordering = ["name", "-version"]
        constraints = versioned_constraints("risk_model", ("tenant", "name"))

    def __str__(self) -> str:
        return f"{self.name} v{self.version} ({self.state})"

    @property
    def label(self) -> str:
        return f"{self.name}:v{self.version}"


class Outcome(models.TextChoices):
    APPROVE = "approve", "Approve"
    REFER = "refer", "Refer"
    DECLINE = "decline", "Decline"


class BatchScoring(models.Model):
    """A batch scoring of an uploaded dataset by one model, run as a job; its decisions carry
    a link back here and download as CSV."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    tenant = models.ForeignKey("accounts.Tenant", on_delete=models.CASCADE, related_name="+")
    dataset = models.ForeignKey(Dataset, on_delete=models.CASCADE, related_name="+")
    model = models.ForeignKey(RiskModel, on_delete=models.PROTECT, related_name="+")
    job = models.ForeignKey(
        "jobs.Job", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    row_count = models.PositiveIntegerField(default=0)
    summary = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"batch {self.pk} ({self.row_count} rows)"


class Decision(models.Model):
    """One scored application: probability of default, points, outcome and reason codes, with
    the model version that made it and, when a challenger ran in shadow, its answer."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # No single-column indexes on tenant and model: the (tenant, model, -created_at) index
    # serves both, and every index costs time on a 100,000-row batch insert.
    tenant = models.ForeignKey(
        "accounts.Tenant", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    model = models.ForeignKey(
        RiskModel, on_delete=models.PROTECT, related_name="decisions", db_index=False
    )
    batch = models.ForeignKey(
        BatchScoring, on_delete=models.CASCADE, null=True, blank=True, related_name="decisions"
    )
    reference = models.CharField(max_length=100, blank=True, default="")
    # A single decision keeps the applicant's values; a batch decision points at its row of
    # the batch's dataset instead (a hundred thousand copies of the file would add nothing).
    # At rest under the tenant's data key; a batch's COPY writes "{}" in clear (nothing to hide).
    inputs = EncryptedJSONField(default=dict, blank=True, help_text="the values as scored")
    row_number = models.PositiveIntegerField(null=True, blank=True)
    probability = models.FloatField()
    points = models.FloatField()
    outcome = models.CharField(max_length=8, choices=Outcome.choices)
    reasons = models.JSONField(default=list)
    challenger = models.ForeignKey(
        RiskModel,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,  # the partial index below: most decisions have no challenger
    )
    challenger_probability = models.FloatField(null=True, blank=True)
    challenger_outcome = models.CharField(max_length=8, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["tenant", "model", "-created_at"]),
            models.Index(
                fields=["challenger"],
                condition=models.Q(challenger__isnull=False),
                name="risk_decision_challenger",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.outcome} ({self.probability:.3f})"


class Alert(models.TextChoices):
    OK = "ok", "OK"
    WARNING = "warning", "Warning"
    ALERT = "alert", "Alert"


class FindingKind(models.TextChoices):
    PSI_FEATURE = "psi_feature", "Population stability (feature)"
    PSI_SCORE = "psi_score", "Population stability (score)"
    ADVERSARIAL = "adversarial", "Adversarial validation"


class MonitoringFinding(models.Model):
    """One result of a monitoring run (PSI of a feature or of the score, or the adversarial
    validation AUC) for a model, with its alert state."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    tenant = models.ForeignKey("accounts.Tenant", on_delete=models.CASCADE, related_name="+")
    model = models.ForeignKey(RiskModel, on_delete=models.CASCADE, related_name="findings")
    run_id = models.UUIDField(db_index=True)
    kind = models.CharField(max_length=16, choices=FindingKind.choices)
    feature = models.CharField(max_length=200, blank=True, default="")
    value = models.FloatField()
    alert = models.CharField(max_length=8, choices=Alert.choices)
    details = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "kind", "feature"]

    def __str__(self) -> str:
        return f"{self.kind} {self.feature}: {self.value:.3f} ({self.alert})"


class FraudRing(models.Model):
    """Accounts connected through shared strong identifiers (devices, phones, cards, IPs),
    found by ``fraud_rings_detect``; scored from size, sharing and confirmed-fraud members."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    tenant = models.ForeignKey("accounts.Tenant", on_delete=models.CASCADE, related_name="+")
    size = models.PositiveIntegerField()
    score = models.FloatField()
    confirmed_fraud_members = models.PositiveIntegerField(default=0)
    shared_identifiers = models.JSONField(default=list)
    detected_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-score"]

    def __str__(self) -> str:
        return f"ring of {self.size} (score {self.score:.2f})"


class RiskAccount(PublicIdModel):
    """A customer account seen in transactions or applications; ``external_id`` is the
    client system's id."""

    tenant = models.ForeignKey("accounts.Tenant", on_delete=models.CASCADE, related_name="+")
    external_id = models.CharField(max_length=100)
    confirmed_fraud = models.BooleanField(default=False)
    ring = models.ForeignKey(
        FraudRing, on_delete=models.SET_NULL, null=True, blank=True, related_name="accounts"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["external_id"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "external_id"], name="risk_account_id")
        ]

    def __str__(self) -> str:
        return self.external_id


class Transaction(PublicIdModel):
    """A payment with the identifiers it was made from: the edges of the fraud graph, and the
    history the behavioural fraud features are computed over. ``card`` holds a keyed digest of
    the card number (``fraud_transactions.card_token``), never the number."""

    tenant = models.ForeignKey("accounts.Tenant", on_delete=models.CASCADE, related_name="+")
    account = models.ForeignKey(RiskAccount, on_delete=models.CASCADE, related_name="transactions")
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    device_id = models.CharField(max_length=100, blank=True, default="")
    ip_address = models.CharField(max_length=64, blank=True, default="")
    phone = models.CharField(max_length=64, blank=True, default="")  # a keyed digest
    card = models.CharField(max_length=64, blank=True, default="", help_text="card fingerprint")
    occurred_at = models.DateTimeField()
    is_fraud = models.BooleanField(default=False)
    # Transaction fraud (issue 24): the client's id and the payment's own attributes.
    reference = models.CharField(max_length=100, blank=True, default="")
    currency = models.CharField(max_length=3, blank=True, default="")
    merchant_category = models.PositiveSmallIntegerField(null=True, blank=True, help_text="MCC")
    channel = models.CharField(max_length=8, blank=True, default="")
    country = models.CharField(max_length=2, blank=True, default="")

    class Meta:
        ordering = ["-occurred_at"]
        indexes = [
            # the account's history in event order: the SQL path of the online features
            models.Index(fields=["account", "occurred_at", "id"], name="risk_txn_account_time"),
        ]

    def __str__(self) -> str:
        return f"{self.account_id} {self.amount} at {self.occurred_at:%Y-%m-%d %H:%M}"


# Transaction fraud scoring (issue 24) lives in its own module; imported here so that Django
# finds its models under this app.
from .models_fraud import (  # noqa: E402,F401
    FraudDecision,
    FraudDecisionOutcome,
    TransactionImport,
    TransactionImportState,
)
from .models_governance import RiskGovernanceSettings  # noqa: E402,F401
