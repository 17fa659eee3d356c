"""Per-tenant assistant configuration and the connectors to a shop's own systems (imported by
``models.py``, so Django sees them as this app's models)."""

from __future__ import annotations

import uuid

from django.db import models

from apps.core.public_ids import PublicIdModel


class AssistantSettings(PublicIdModel):
    """How one tenant's assistant speaks: brand, persona and tone, languages, the fixed texts as
    templates per language (``{"en": {"greeting": "..."}, "zh": {...}}``; missing keys fall back
    to the shipped defaults of that language) and the escalation rules."""

    tenant = models.OneToOneField(
        "accounts.Tenant", on_delete=models.CASCADE, related_name="assistant_settings"
    )
    brand_name = models.CharField(max_length=120, default="our shop")
    brand_names = models.JSONField(
        default=dict, blank=True, help_text="the brand per language, e.g. {'zh': '...'}"
    )
    persona = models.CharField(max_length=500, blank=True, default="")
    tone = models.CharField(max_length=300, blank=True, default="friendly, clear and concise")
    languages = models.JSONField(default=list, blank=True)
    default_language = models.CharField(max_length=16, default="en")
    templates = models.JSONField(default=dict, blank=True)
    handoff_hours = models.CharField(max_length=200, blank=True, default="")
    negative_handoff_threshold = models.FloatField(default=0.7)
    fallback_handoff_count = models.PositiveSmallIntegerField(default=2)
    grounding_enabled = models.BooleanField(default=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "assistant settings"

    def __str__(self) -> str:
        return f"assistant of {self.brand_name}"


class ConnectorKind(models.TextChoices):
    DEMO_TABLE = "demo_table", "Demo orders table"
    HTTP = "http", "HTTP API of the shop"


class Connector(models.Model):
    """The way to a tenant's system of record. ``mapping`` declares, per operation
    (``order_get``, ``order_cancel``), the request (method, path template) and where each
    field of the answer lies (dotted paths): configuration, not code. The auth header's value
    comes from a named secret (an environment variable listed in
    ``CUSTOMER_SERVICE_CONNECTOR_SECRETS``), never from this row."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    tenant = models.ForeignKey("accounts.Tenant", on_delete=models.CASCADE, related_name="+")
    name = models.SlugField(max_length=64, default="orders")
    kind = models.CharField(max_length=16, choices=ConnectorKind.choices)
    base_url = models.URLField(blank=True, default="")
    auth_header = models.CharField(max_length=100, blank=True, default="")
    auth_secret = models.CharField(max_length=100, blank=True, default="")
    mapping = models.JSONField(default=dict, blank=True)
    timeout_s = models.FloatField(default=3.0)
    retries = models.PositiveSmallIntegerField(default=2)
    breaker_threshold = models.PositiveSmallIntegerField(default=3)
    breaker_reset_s = models.PositiveIntegerField(default=30)
    failures = models.PositiveIntegerField(default=0)
    open_until = models.DateTimeField(null=True, blank=True)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "name"], name="cs_connector_name_per_tenant")
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.kind})"


class ConnectorCall(models.Model):
    """One changing call (a cancellation), kept by its idempotency key: the same request asked
    twice answers from here instead of changing the shop's system twice."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    tenant = models.ForeignKey("accounts.Tenant", on_delete=models.CASCADE, related_name="+")
    connector = models.ForeignKey(Connector, on_delete=models.CASCADE, related_name="calls")
    operation = models.CharField(max_length=64)
    idempotency_key = models.CharField(max_length=128)
    result = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "idempotency_key"], name="cs_connector_call_idempotent"
            )
        ]

    def __str__(self) -> str:
        return f"{self.operation} {self.idempotency_key[:12]}"
