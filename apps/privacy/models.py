"""Tables of the data lifecycle: per-tenant data keys, retention policies, erasure requests.

Foreign keys name higher apps by label only: ``apps.privacy``'s detection modules sit below
accounts; the lifecycle services that use these tables live in ``apps.data_lifecycle``,
above jobs and approvals (see that package's docstring).
"""

from __future__ import annotations

import uuid

from django.db import models
from django.utils import timezone

from apps.core.public_ids import PublicIdModel


class TenantDataKey(models.Model):
    """One version of a tenant's data key, wrapped (encrypted) by the master key.

    The key that encrypts a tenant's fields never exists in the database in clear; destroying
    every version (``destroyed_at``, ``wrapped_key`` emptied) crypto-shreds whatever ciphertext
    of that tenant remains anywhere (backups, caches, queues).
    """

    tenant = models.ForeignKey("accounts.Tenant", on_delete=models.PROTECT, related_name="+")
    version = models.PositiveIntegerField()
    wrapped_key = models.TextField(blank=True, default="")
    master_key_id = models.CharField(max_length=64, blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)
    destroyed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["tenant", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "version"], name="privacy_key_version")
        ]

    def __str__(self) -> str:
        return f"data key v{self.version} of {self.tenant_id}"


class RetentionPolicy(PublicIdModel):
    """How long ``tenant`` keeps one kind of data (days); without a row the platform default
    (``PRIVACY_RETENTION_DAYS``) applies."""

    tenant = models.ForeignKey("accounts.Tenant", on_delete=models.CASCADE, related_name="+")
    data_kind = models.CharField(max_length=100)
    days = models.PositiveIntegerField()
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["tenant", "data_kind"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "data_kind"], name="privacy_retention_kind")
        ]

    def __str__(self) -> str:
        return f"{self.data_kind}: {self.days} days"


class ErasureScope(models.TextChoices):
    SUBJECT = "subject", "One data subject"
    TENANT = "tenant", "The whole tenant (offboarding)"


class ErasureRequest(models.Model):
    """A request to erase one data subject's data, or a whole tenant's, decided by four eyes
    (``approval``) and executed as a job. ``subject_ref`` (the identifier as given) is cleared
    once the erasure ran; ``subject_digest`` (a keyed digest) and the certificate remain."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    tenant = models.ForeignKey("accounts.Tenant", on_delete=models.PROTECT, related_name="+")
    approval = models.OneToOneField(
        "approvals.ApprovalRequest", on_delete=models.PROTECT, related_name="erasure"
    )
    scope = models.CharField(max_length=8, choices=ErasureScope.choices)
    subject_kind = models.CharField(max_length=32, blank=True, default="")
    subject_ref = models.CharField(max_length=200, blank=True, default="")
    subject_digest = models.CharField(max_length=64, blank=True, default="")
    job = models.ForeignKey(
        "jobs.Job", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    certificate = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"erasure {self.scope} {self.subject_kind} ({self.approval_id})"
