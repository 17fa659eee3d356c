"""Notification destinations per tenant and the delivery log."""

from __future__ import annotations

import uuid

from django.db import models


class DestinationKind(models.TextChoices):
    WEBHOOK = "webhook", "Webhook (HTTP POST of JSON)"
    EMAIL = "email", "E-mail"


class Destination(models.Model):
    """Where a tenant's notifications of some topics go. ``topics`` empty: every topic. A
    webhook's host must be on the platform's ``NOTIFICATIONS_ALLOWED_HOSTS``; its optional
    secret header (``secret_header: secret_value``) lets the receiver check the sender."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    tenant = models.ForeignKey("accounts.Tenant", on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=16, choices=DestinationKind.choices)
    url = models.URLField(blank=True, default="")
    secret_header = models.CharField(max_length=100, blank=True, default="")
    secret_value = models.CharField(max_length=200, blank=True, default="")
    emails = models.JSONField(default=list, blank=True)
    topics = models.JSONField(default=list, blank=True)
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
