"""Tables of the medical-records vertical. Nothing here holds an identifier in clear: notes are
stored de-identified, and the pseudonym mapping is encrypted (``services/identity.py``)."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models

from apps.core.public_ids import PublicIdModel
from apps.privacy.fields import EncryptedTextField

from .fields import PseudonymValueField


class Source(models.TextChoices):
    API = "api", "API (text)"
    UPLOAD = "upload", "File upload"
    CSV = "csv", "Bulk CSV"
    JSONL = "jsonl", "Bulk JSONL"
    HL7 = "hl7v2", "HL7 v2 message"
    FHIR = "fhir", "FHIR DocumentReference"


class BatchFormat(models.TextChoices):
    CSV = "csv", "CSV"
    JSONL = "jsonl", "JSONL"


class Severity(models.TextChoices):
    LOW = "low", "Low"
    MEDIUM = "medium", "Medium"
    HIGH = "high", "High"


class Patient(models.Model):
    """A patient as the tenant knows them: only a pseudonym, a keyed digest of the identity
    (MRN or name) to recognise them again, and the date offset applied to their notes."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    tenant = models.ForeignKey(
        "accounts.Tenant", on_delete=models.CASCADE, related_name="medical_patients"
    )
    pseudonym = models.CharField(max_length=40)
    identity_digest = models.CharField(max_length=64)
    date_offset_days = models.IntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "identity_digest"], name="medical_patient_identity_per_tenant"
            )
        ]

    def __str__(self) -> str:
        return self.pseudonym


class PseudonymEntry(models.Model):
    """One pseudonym token and the value it stands for. The token is a keyed digest of the
    value, so the same value becomes the same token in every note of the tenant; only
    re-identification reads ``encrypted_value``: in the database ciphertext under the tenant's
    data key, in memory the value itself (``fields.PseudonymValueField``)."""

    id = models.BigAutoField(primary_key=True)
    tenant = models.ForeignKey(
        "accounts.Tenant", on_delete=models.CASCADE, related_name="medical_pseudonyms"
    )
    kind = models.CharField(max_length=12)
    token = models.CharField(max_length=40)
    encrypted_value = PseudonymValueField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["token"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "token"], name="medical_token_per_tenant")
        ]

    def __str__(self) -> str:
        return self.token


class NoteBatch(models.Model):
    """A bulk ingestion (CSV or JSONL) processed by a job. The uploaded rows wait encrypted and
    are erased once the job has structured them."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    tenant = models.ForeignKey(
        "accounts.Tenant", on_delete=models.CASCADE, related_name="medical_batches"
    )
    format = models.CharField(max_length=8, choices=BatchFormat.choices)
    total = models.PositiveIntegerField(default=0)
    structured = models.PositiveIntegerField(default=0)
    encrypted_payload = models.TextField(blank=True, default="")
    job = models.ForeignKey(
        "jobs.Job", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.format} batch of {self.total}"


class Note(models.Model):
    """A clinical note, de-identified before it was stored."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    tenant = models.ForeignKey(
        "accounts.Tenant", on_delete=models.CASCADE, related_name="medical_notes"
    )
    patient = models.ForeignKey(
        Patient, null=True, blank=True, on_delete=models.SET_NULL, related_name="notes"
    )
    batch = models.ForeignKey(
        NoteBatch, null=True, blank=True, on_delete=models.SET_NULL, related_name="notes"
    )
    source = models.CharField(max_length=8, choices=Source.choices)
    language = models.CharField(max_length=4)
    title = models.CharField(max_length=200, blank=True, default="")
    # At rest under the tenant's data key (apps.privacy).
    text = EncryptedTextField(help_text="De-identified text")
    phi_counts = models.JSONField(default=dict, blank=True)
    phi_spans = models.JSONField(
        default=list, blank=True, help_text="Kinds and offsets in the original text; no values"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["tenant", "-created_at"])]

    def __str__(self) -> str:
        return self.title or f"note {self.pk}"


class Extraction(models.Model):
    """What the pipeline found in a note: entities with their attributes, the FHIR Bundle and,
    when asked for, the model's summary with the conditions it named that were not found."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    tenant = models.ForeignKey(
        "accounts.Tenant", on_delete=models.CASCADE, related_name="medical_extractions"
    )
    note = models.OneToOneField(Note, on_delete=models.CASCADE, related_name="extraction")
    pipeline_version = models.CharField(max_length=120)
    graph_version = models.PositiveIntegerField(default=0)
    entities = models.JSONField(default=list)
    fhir_bundle = models.JSONField(default=dict)
    summary = models.TextField(blank=True, default="")
    summary_model = models.CharField(max_length=200, blank=True, default="")
    summary_flags = models.JSONField(default=list, blank=True)
    summary_unsafe = models.BooleanField(
        default=False, help_text="The shown summary still names something the note does not say"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"extraction of {self.note_id}"


class Finding(models.Model):
    """A check's result over one note's structured record, with its evidence spans."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    tenant = models.ForeignKey(
        "accounts.Tenant", on_delete=models.CASCADE, related_name="medical_findings"
    )
    note = models.ForeignKey(Note, on_delete=models.CASCADE, related_name="findings")
    kind = models.CharField(max_length=20)
    rule = models.CharField(max_length=80)
    severity = models.CharField(max_length=8, choices=Severity.choices)
    message = models.CharField(max_length=300)
    evidence = models.JSONField(default=list)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.message


class CheckRuleSet(PublicIdModel):
    """The checks a tenant runs over structured records, declared as YAML (or JSON, which is
    YAML too) and edited in the admin. Without an active set the shipped default applies."""

    id = models.BigAutoField(primary_key=True)
    tenant = models.ForeignKey(
        "accounts.Tenant", on_delete=models.CASCADE, related_name="medical_check_sets"
    )
    name = models.CharField(max_length=100)
    definition = models.TextField(help_text="YAML: see apps/medical_records/data/checks.yaml")
    active = models.BooleanField(default=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ReidentificationGrant(PublicIdModel):
    """The explicit permission to re-identify: a clinician user (or API key) of the tenant,
    granted by an admin, until it expires or is revoked."""

    id = models.BigAutoField(primary_key=True)
    tenant = models.ForeignKey(
        "accounts.Tenant", on_delete=models.CASCADE, related_name="medical_reidentification_grants"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    api_key = models.ForeignKey(
        "accounts.ApiKey", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    reason = models.CharField(max_length=200)
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"re-identification grant {self.pk}"


class CorrectionKind(models.TextChoices):
    WRONG_SPAN = "wrong_span", "Wrong span"
    WRONG_CODE = "wrong_code", "Wrong code"
    WRONG_ASSERTION = "wrong_assertion", "Wrong assertion"
    MISSED_ENTITY = "missed_entity", "Missed entity"
    MISSED_PHI = "missed_phi", "Missed PHI"


class Correction(models.Model):
    """A clinician's correction of an extraction: the entity it fixes (or a missed one), what
    was wrong and what is right. Corrections are applied to the extraction, audited, and become
    the tenant's evaluation and training data (``services.corrections``). For missed PHI the
    value is kept only encrypted under the tenant's data key (like the pseudonym map; read in
    memory as the value) and masked in the note."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    tenant = models.ForeignKey(
        "accounts.Tenant", on_delete=models.CASCADE, related_name="medical_corrections"
    )
    note = models.ForeignKey(Note, on_delete=models.CASCADE, related_name="corrections")
    kind = models.CharField(max_length=16, choices=CorrectionKind.choices)
    entity_id = models.CharField(max_length=20, blank=True, default="")
    start = models.PositiveIntegerField(null=True, blank=True)
    end = models.PositiveIntegerField(null=True, blank=True)
    entity_type = models.CharField(max_length=20, blank=True, default="")
    code_system = models.CharField(max_length=20, blank=True, default="")
    code = models.CharField(max_length=40, blank=True, default="")
    assertion = models.CharField(max_length=16, blank=True, default="")
    phi_kind = models.CharField(max_length=12, blank=True, default="")
    encrypted_value = PseudonymValueField(blank=True, default="")
    before = models.JSONField(default=dict, blank=True)
    comment = models.CharField(max_length=300, blank=True, default="")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["tenant", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.kind} on {self.note_id}"
