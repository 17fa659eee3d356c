"""/api/v1/risk/governance-settings/: the tenant's model-governance settings (issue 22).

``GET current/`` shows the settings in force (the deployment's defaults, overridden per key by
the tenant), which keys the tenant set, and what each means; admins, analysts, auditors and
model validators read them. ``PATCH update/`` (admins) changes the given keys, audited; a bad
value is a 400 naming the key, and switching four eyes off is a 403 unless platform staff ask.
"""

from __future__ import annotations

from django.conf import settings
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from apps.accounts.authz import is_platform_staff
from apps.accounts.roles import Role
from apps.core.serializers import StrictSerializer
from apps.financial_risk.models import RiskGovernanceSettings
from apps.financial_risk.services.governance_settings import (
    SETTINGS,
    governance_settings,
    governance_settings_overrides,
    governance_settings_update,
)
from apps.surface.viewsets import TenantScopedMixin

READERS = {Role.ADMIN, Role.ANALYST, Role.AUDITOR, Role.MODEL_VALIDATOR}

_FIELDS = {
    "float": lambda spec, **kw: serializers.FloatField(
        min_value=spec.low, max_value=spec.high, **kw
    ),
    "int": lambda spec, **kw: serializers.IntegerField(
        min_value=spec.low, max_value=spec.high, **kw
    ),
    "bool": lambda spec, **kw: serializers.BooleanField(**kw),
    "choice": lambda spec, **kw: serializers.ChoiceField(choices=spec.choices, **kw),
    "tolerances": lambda spec, **kw: serializers.DictField(child=serializers.FloatField(), **kw),
}

# The request body, for the schema only: the service checks the values (the admin's too).
GovernanceSettingsUpdateSerializer = type(
    "GovernanceSettingsUpdateSerializer",
    (StrictSerializer,),
    {
        key: _FIELDS[spec.kind](spec, required=False, help_text=spec.help)
        for key, spec in SETTINGS.items()
    },
)


def _shown(tenant) -> dict:
    return {
        "values": governance_settings(tenant),
        "overrides": sorted(governance_settings_overrides(tenant)),
        "defaults": dict(settings.RISK_GOVERNANCE_DEFAULTS),
        "help": {key: spec.help for key, spec in SETTINGS.items()},
    }


class GovernanceSettingsViewSet(TenantScopedMixin, viewsets.GenericViewSet):
    """The tenant's model-governance settings: ``GET current/``, ``PATCH update/``."""

    queryset = RiskGovernanceSettings.objects.all()
    allowed_roles = {"read": READERS, "write": {Role.ADMIN}}
    pagination_class = None

    @extend_schema(responses={200: OpenApiTypes.OBJECT})
    @action(detail=False, methods=["get"], url_path="current")
    def current(self, request):
        return Response(_shown(request.tenant))

    @extend_schema(request=GovernanceSettingsUpdateSerializer, responses={200: OpenApiTypes.OBJECT})
    @action(detail=False, methods=["patch"], url_path="update")
    def change(self, request):
        governance_settings_update(
            tenant=request.tenant,
            values=request.data,
            member=not is_platform_staff(request.user),
        )
        return Response(_shown(request.tenant))
