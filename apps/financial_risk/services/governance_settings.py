"""A tenant's model-governance settings: the deployment's ``RISK_GOVERNANCE_DEFAULTS`` (the
vertical's settings), overridden per key by the tenant's ``RiskGovernanceSettings`` row."""

from __future__ import annotations

from django.conf import settings
from rest_framework.exceptions import ValidationError

from apps.financial_risk.models import RiskGovernanceSettings

OUT_OF_DISTRIBUTION_CHOICES = ("reject", "refer")
REASON_LANGUAGES = ("en", "zh")


def governance_settings(tenant) -> dict:
    """The tenant's governance settings: the deployment's defaults, overridden per key."""
    values = dict(settings.RISK_GOVERNANCE_DEFAULTS)
    row = RiskGovernanceSettings.objects.filter(tenant=tenant).first()
    if row is not None:
        values.update(row.values or {})
    return values


def governance_settings_update(*, tenant, values: dict) -> dict:
    """Override some of the tenant's settings (unknown keys are refused)."""
    unknown = sorted(set(values) - set(settings.RISK_GOVERNANCE_DEFAULTS))
    if unknown:
        raise ValidationError({"values": [f"unknown settings: {', '.join(unknown)}"]})
    if values.get("out_of_distribution", "reject") not in OUT_OF_DISTRIBUTION_CHOICES:
        raise ValidationError({"out_of_distribution": ["must be 'reject' or 'refer'"]})
    if values.get("reason_language", "en") not in REASON_LANGUAGES:
        raise ValidationError({"reason_language": ["must be 'en' or 'zh'"]})
    row, _ = RiskGovernanceSettings.objects.get_or_create(tenant=tenant)
    row.values = {**(row.values or {}), **values}
    row.save()
    return governance_settings(tenant)
