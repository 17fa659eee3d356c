"""The approval primitive's one table: a request that a second person must decide."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone


class ApprovalState(models.TextChoices):
    """Where an approval request stands; ``executed`` once its handler has run to the end."""

    REQUESTED = "requested", "Requested"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"
    EXECUTED = "executed", "Executed"


class ApprovalRequest(models.Model):
    """A privileged action waiting for a second person (four eyes): erasing a data subject or a
    tenant, promoting a risk model, ...

    ``kind`` names the action (its handler and the roles that may approve it are registered in
    ``apps.approvals.registry``); ``target`` says what it acts on as a string reference
    (``"customer:42"``, ``"tenant:<uuid>"``, ``"financial_risk.model:<uuid>"``); ``payload``
    holds the handler's parameters. The requester can never decide their own request.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    tenant = models.ForeignKey(
        "accounts.Tenant", on_delete=models.PROTECT, related_name="approval_requests"
    )
    kind = models.CharField(max_length=100)
    target = models.CharField(max_length=255)
    payload = models.JSONField(default=dict, blank=True)
    state = models.CharField(
        max_length=16, choices=ApprovalState.choices, default=ApprovalState.REQUESTED
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    reason = models.TextField(blank=True, default="")
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    justification = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)
    decided_at = models.DateTimeField(null=True, blank=True)
    executed_at = models.DateTimeField(null=True, blank=True)
    result = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["tenant", "kind", "state"], name="approval_tenant_kind")]

    def __str__(self) -> str:
        return f"{self.kind} {self.target} ({self.state})"
