import secrets
import uuid

from django.conf import settings
from django.db import models

from apps.core.public_ids import PublicIdModel

from .roles import Role


class Tenant(models.Model):
    """An organisation using the platform. Every business row belongs to exactly one tenant."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=64, unique=True)
    # Salt for the tenant's audit-digest key; the key itself is derived from a server secret, so
    # someone who reads the database still cannot brute-force digests of names or dates.
    digest_salt = models.CharField(max_length=64, default=secrets.token_hex, editable=False)
    is_active = models.BooleanField(default=True)
    # Staff of this tenant must pass a second factor (TOTP) before any admin page.
    require_staff_mfa = models.BooleanField(default=False)
    # Promotions in the shared model registry (LoRA adapters, intent models) need a second
    # person's approval (apps.registry.promotions); risk models keep their own setting, on by
    # default (the financial-risk governance settings).
    four_eyes_promotions = models.BooleanField(
        default=False,
        help_text=(
            "Adapters and intent models are promoted only when a second person (an admin) "
            "approves a member's request."
        ),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Membership(PublicIdModel):
    """A user's role in one tenant. A user may belong to several tenants; a request acts for one."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=16, choices=Role.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["tenant__name", "user__username"]
        constraints = [
            models.UniqueConstraint(fields=["user", "tenant"], name="one_membership_per_tenant")
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.tenant} ({self.role})"


class ApiKey(models.Model):
    """A tenant's credential for client systems.

    The secret is shown once, at creation. At rest only ``prefix`` (for lookup) and an HMAC-SHA256
    of the whole key under a server-side key are stored: fast enough to check on every request,
    useless to someone holding only the database.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="api_keys")
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=16, unique=True, editable=False)
    hashed_secret = models.CharField(max_length=64, editable=False)
    role = models.CharField(max_length=16, choices=Role.choices)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    # Per-key throttle rate ("100/min"); empty means the platform default.
    rate_limit = models.CharField(max_length=32, blank=True, default="")

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"


class QuotaMetric(models.TextChoices):
    REQUESTS_PER_DAY = "requests_per_day", "API requests per day"
    MODEL_TOKENS_PER_DAY = "model_tokens_per_day", "Model tokens per day"
    COMPUTE_SECONDS_PER_DAY = "compute_seconds_per_day", "Model compute seconds per day"


class Quota(PublicIdModel):
    """A tenant's limit on one metered quantity per day; overrides DEFAULT_TENANT_QUOTAS."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="quotas")
    metric = models.CharField(max_length=32, choices=QuotaMetric.choices)
    limit = models.PositiveBigIntegerField()

    class Meta:
        ordering = ["tenant__name", "metric"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "metric"], name="one_quota_per_metric")
        ]

    def __str__(self) -> str:
        return f"{self.tenant}: {self.metric} ≤ {self.limit}"


class UsageCounter(PublicIdModel):
    """How much of a metered quantity a tenant used on one day (UTC)."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="usage")
    metric = models.CharField(max_length=32, choices=QuotaMetric.choices)
    day = models.DateField()
    value = models.FloatField(default=0)

    class Meta:
        ordering = ["-day", "metric"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "metric", "day"], name="one_counter_per_day")
        ]

    def __str__(self) -> str:
        return f"{self.tenant} {self.metric} {self.day}: {self.value}"


class Invitation(models.Model):
    """An offer of a role in a tenant to an existing user, who must accept it.

    A tenant admin cannot place someone in its tenant by username alone (forced membership),
    and the answer to an invitation is the same whether the username exists or not.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="invitations")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="invitations"
    )
    role = models.CharField(max_length=16, choices=Role.choices)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.user} → {self.tenant} ({self.role})"
