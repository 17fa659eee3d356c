"""Notification destinations per tenant and the delivery log."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models


class DestinationKind(models.TextChoices):
    WEBHOOK = "webhook", "Webhook (HTTP POST of JSON)"
    EMAIL = "email", "E-mail"


class Severity(models.TextChoices):
    """An alert's severity, lowest first (``SEVERITY_RANK``)."""

    INFO = "info", "Info"
    WARNING = "warning", "Warning"
    CRITICAL = "critical", "Critical"


SEVERITY_RANK = {Severity.INFO: 0, Severity.WARNING: 1, Severity.CRITICAL: 2}


class Destination(models.Model):
    """Where a tenant's notifications of some topics go: the tenant's routing table.
    ``topics`` empty: every topic; an entry ending in ``*`` takes every topic it prefixes
    (``alert.*``: every alert, ``alert.financial_risk.*``: the risk monitor's). ``min_severity``
    set: notifications that carry a severity (alerts) reach it only at that severity or
    above. A webhook's host must be on the platform's ``NOTIFICATIONS_ALLOWED_HOSTS``; its
    optional secret header (``secret_header: secret_value``) lets the receiver check the
    sender."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    tenant = models.ForeignKey("accounts.Tenant", on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=16, choices=DestinationKind.choices)
    url = models.URLField(blank=True, default="")
    secret_header = models.CharField(max_length=100, blank=True, default="")
    secret_value = models.CharField(max_length=200, blank=True, default="")
    emails = models.JSONField(default=list, blank=True)
    topics = models.JSONField(default=list, blank=True)
    min_severity = models.CharField(max_length=16, choices=Severity.choices, blank=True, default="")
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at"]

    def __str__(self) -> str:
        return f"{self.kind} {self.url or ', '.join(self.emails)}"


class DeliveryState(models.TextChoices):
    PENDING = "pending", "Waiting to be sent"
    SENT = "sent", "Delivered"
    FAILED = "failed", "Gave up after retries"


class Delivery(models.Model):
    """One notification to one destination: what was sent, how often it was tried, the last
    error. ``(tenant, topic, dedup_key)`` within the dedup window is sent once."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    tenant = models.ForeignKey("accounts.Tenant", on_delete=models.CASCADE, related_name="+")
    destination = models.ForeignKey(
        Destination, on_delete=models.CASCADE, related_name="deliveries"
    )
    topic = models.CharField(max_length=100)
    dedup_key = models.CharField(max_length=200)
    subject = models.CharField(max_length=300)
    body = models.TextField(blank=True, default="")
    payload = models.JSONField(default=dict, blank=True)
    state = models.CharField(
        max_length=16, choices=DeliveryState.choices, default=DeliveryState.PENDING
    )
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.CharField(max_length=500, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["tenant", "topic", "dedup_key"], name="notif_dedup"),
        ]

    def __str__(self) -> str:
        return f"{self.topic} → {self.destination_id} ({self.state})"


class Alert(models.Model):
    """Something a person must look at, raised by a part of the platform (a drift finding, a
    failed gate, a fairness flag, a failing job, a failed audit verification): one open row per
    ``(tenant, source, dedup_key)`` while unacknowledged; raising it again counts it and moves
    ``last_seen`` instead of notifying again. ``domain`` is the data domain of what it is about
    (apps.accounts.domains): the roles that read the domain see the alert, those that write it
    acknowledge it. Raised and acknowledged by ``apps.notifications.alerts``, audited."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    tenant = models.ForeignKey("accounts.Tenant", on_delete=models.CASCADE, related_name="+")
    source = models.CharField(max_length=100, help_text="e.g. financial_risk.drift, jobs.failed")
    domain = models.CharField(max_length=32)
    severity = models.CharField(max_length=16, choices=Severity.choices)
    title = models.CharField(max_length=300)
    details = models.JSONField(default=dict, blank=True)
    dedup_key = models.CharField(max_length=200)
    first_seen = models.DateTimeField()
    last_seen = models.DateTimeField()
    count = models.PositiveIntegerField(default=1)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    acknowledged_by_label = models.CharField(max_length=150, blank=True, default="")

    class Meta:
        ordering = ["-last_seen"]
        indexes = [models.Index(fields=["tenant", "-last_seen"], name="notif_alert_recent")]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "source", "dedup_key"],
                condition=models.Q(acknowledged_at__isnull=True),
                name="notif_alert_one_open",
            )
        ]

    def __str__(self) -> str:
        return f"{self.severity} {self.source}: {self.title}"

    @property
    def topic(self) -> str:
        """The notification topic it is sent under (``alert.<source>``)."""
        return f"alert.{self.source}"
