"""A tenant's model-governance settings (issue 22): thresholds of the promotion gates, four
eyes, and what scoring does with out-of-distribution inputs. Keys absent from ``values`` take
the deployment's defaults (``RISK_GOVERNANCE_DEFAULTS``, set in the vertical's settings)."""

from __future__ import annotations

from django.db import models

from apps.core.public_ids import PublicIdModel


class RiskGovernanceSettings(PublicIdModel):
    tenant = models.OneToOneField(
        "accounts.Tenant", on_delete=models.CASCADE, related_name="risk_governance"
    )
    values = models.JSONField(
        default=dict, blank=True, help_text="overrides of RISK_GOVERNANCE_DEFAULTS, by key"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "risk governance settings"

    def __str__(self) -> str:
        return f"risk governance of {self.tenant_id}"
