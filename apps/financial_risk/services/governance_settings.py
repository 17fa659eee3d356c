"""A tenant's model-governance settings: the deployment's ``RISK_GOVERNANCE_DEFAULTS`` (the
vertical's settings), overridden per key by the tenant's ``RiskGovernanceSettings`` row.

``SETTINGS`` says what each key holds; the API, the admin form and the service check values
against it, so a bad value is a 400 naming the key wherever it comes from. Switching four eyes
off is the platform staff's decision, never a tenant member's (as with the tenant's
``four_eyes_promotions``): a tenant admin could otherwise lift it, promote alone, and put it
back."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from rest_framework.exceptions import PermissionDenied, ValidationError

from apps.audit.services import audited
from apps.financial_risk.models import RiskGovernanceSettings

OUT_OF_DISTRIBUTION_CHOICES = ("reject", "refer")
REASON_LANGUAGES = ("en", "zh")


@dataclass(frozen=True)
class Setting:
    """What one key holds: ``kind`` is float, int, bool, choice or tolerances (feature ->
    float); numbers within [low, high]."""

    kind: str
    help: str
    low: float | None = None
    high: float | None = None
    choices: tuple[str, ...] = ()


SETTINGS: dict[str, Setting] = {
    "auc_margin": Setting(
        "float", "AUC gate: how far below the champion's AUC a challenger may be", -1, 1
    ),
    "disparate_impact_floor": Setting(
        "float", "fairness gate: least disparate-impact ratio of every protected attribute", 0, 1
    ),
    "brier_margin": Setting(
        "float", "calibration gate: how far above the champion's Brier score it may be", -1, 1
    ),
    "psi_max": Setting("float", "score PSI gate: the PSI must stay under this", 0, 100),
    "psi_window_days": Setting("int", "score PSI gate: days of recent decisions", 1, 3650),
    "psi_min_decisions": Setting(
        "int", "score PSI gate: skipped with fewer recent decisions", 1, 1_000_000
    ),
    "four_eyes": Setting("bool", "a member's promotion needs a second person's approval"),
    "out_of_distribution": Setting(
        "choice",
        "an input outside the training schema: refused (400) or referred to a person",
        choices=OUT_OF_DISTRIBUTION_CHOICES,
    ),
    "range_tolerance": Setting(
        "float", "input ranges widened by this share of each bound's own size", 0, 100
    ),
    "feature_tolerance": Setting("tolerances", "range_tolerance per feature", 0, 100),
    "reason_language": Setting(
        "choice",
        "language of reason phrases when Accept-Language names neither",
        choices=REASON_LANGUAGES,
    ),
}


def governance_settings(tenant) -> dict:
    """The tenant's governance settings: the deployment's defaults, overridden per key."""
    values = dict(settings.RISK_GOVERNANCE_DEFAULTS)
    row = RiskGovernanceSettings.objects.filter(tenant=tenant).first()
    if row is not None:
        values.update(row.values or {})
    return values


def governance_settings_overrides(tenant) -> dict:
    """The keys the tenant set itself (the rest are the deployment's defaults)."""
    row = RiskGovernanceSettings.objects.filter(tenant=tenant).first()
    return dict(row.values or {}) if row is not None else {}


def _number(value, spec: Setting, *, integer: bool) -> str | None:
    # bool is an int to Python; True is not a margin.
    if isinstance(value, bool) or not isinstance(value, int | float):
        return "a whole number is required." if integer else "a number is required."
    if integer and not float(value).is_integer():
        return "a whole number is required."
    if value != value or not spec.low <= value <= spec.high:  # NaN fails both
        return f"must be between {spec.low:g} and {spec.high:g}."
    return None


def _problem(key: str, value) -> str | None:
    """Why ``value`` cannot be the setting ``key``, or None."""
    spec = SETTINGS[key]
    if spec.kind in ("float", "int"):
        return _number(value, spec, integer=spec.kind == "int")
    if spec.kind == "bool":
        return None if isinstance(value, bool) else "must be true or false."
    if spec.kind == "choice":
        return None if value in spec.choices else f"must be one of {', '.join(spec.choices)}."
    if not isinstance(value, dict) or not all(isinstance(k, str) for k in value):
        return "must be an object of feature -> tolerance."
    for feature, share in value.items():
        why = _number(share, spec, integer=False)
        if why:
            return f"{feature}: {why}"
    return None


def governance_values_check(values) -> dict:
    """``values`` as settings, or ValidationError naming each bad key."""
    if not isinstance(values, dict):
        raise ValidationError({"values": ["Must be an object of setting -> value."]})
    errors = {key: ["Unknown setting."] for key in values if key not in SETTINGS}
    for key, value in values.items():
        why = key in SETTINGS and _problem(key, value)
        if why:
            errors[key] = [why]
    if errors:
        raise ValidationError(errors)
    return dict(values)


def governance_settings_update(*, tenant, values: dict, member: bool = False) -> dict:
    """Override some of the tenant's settings, audited with the values before and after.
    ``member``: the change comes from a tenant member, who may not switch four eyes off
    (PermissionDenied); the platform's staff and its own code (seeding, benchmarks) may."""
    values = governance_values_check(values)
    if not values:  # nothing asked, nothing written
        return governance_settings(tenant)
    if member and values.get("four_eyes") is False:
        raise PermissionDenied(
            "four_eyes: only the platform's staff switch four eyes off for a tenant."
        )
    with audited(
        tenant=tenant,
        action="financial_risk.governance_settings.update",
        resource_type="financial_risk.riskgovernancesettings",
    ) as event:
        before = governance_settings(tenant)
        row, _ = RiskGovernanceSettings.objects.get_or_create(tenant=tenant)
        row.values = {**(row.values or {}), **values}
        row.save()
        event.resource_id = str(row.public_id)
        event.details = {
            "changed": {
                key: {"from": before.get(key), "to": value}
                for key, value in sorted(values.items())
                if before.get(key) != value
            }
        }
    return governance_settings(tenant)
