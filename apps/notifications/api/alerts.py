"""/api/v1/notifications/alerts/: a tenant's alerts (newest first), filtered by source,
severity and whether they are acknowledged; ``POST .../{id}/acknowledge/`` closes one.

Which roles see which alert follows the domain table (apps.accounts.domains): a role lists the
alerts of the domains it reads (others are absent, 404) and acknowledges those of the domains
it writes (else 403); platform alerts carry the ``operations`` domain (auditors read, admins
acknowledge)."""

from __future__ import annotations

import django_filters
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from apps.accounts.models import ApiKey, Membership
from apps.notifications.alerts import AlertRefused, alert_acknowledge
from apps.notifications.models import Alert
from apps.surface.viewsets import TenantScopedReadOnlyViewSet


class AlertSerializer(serializers.ModelSerializer):
    acknowledged = serializers.SerializerMethodField()

    class Meta:
        model = Alert
        fields = [
            "id",
            "source",
            "domain",
            "severity",
            "title",
            "details",
            "dedup_key",
            "first_seen",
            "last_seen",
            "count",
            "acknowledged",
            "acknowledged_at",
            "acknowledged_by_label",
        ]

    def get_acknowledged(self, alert) -> bool:
        return alert.acknowledged_at is not None


class AlertFilter(django_filters.FilterSet):
    acknowledged = django_filters.BooleanFilter(
        field_name="acknowledged_at", lookup_expr="isnull", exclude=True
    )

    class Meta:
        model = Alert
        fields = ["source", "severity", "domain", "acknowledged"]


def _person(credential):
    """The person acknowledging: a signed-in member, or the person who created the API key."""
    if isinstance(credential, Membership):
        return credential.user, ""
    if isinstance(credential, ApiKey):
        return credential.created_by, f"api key {credential.name}"
    return None, ""


class AlertViewSet(TenantScopedReadOnlyViewSet):
    queryset = Alert.objects.order_by("-last_seen")
    serializer_class = AlertSerializer
    domain_field = "domain"
    write_actions = frozenset({"acknowledge"})
    filterset_class = AlertFilter

    @extend_schema(request=None, responses={200: AlertSerializer})
    @action(detail=True, methods=["post"])
    def acknowledge(self, request, pk=None):
        """Acknowledge the alert (a role that writes its domain); audited."""
        alert = self.get_object()
        user, label = _person(request.auth)
        try:
            alert = alert_acknowledge(tenant=request.tenant, alert=alert, user=user, label=label)
        except AlertRefused as exc:
            raise ValidationError({exc.field: [str(exc)]}) from exc
        return Response(AlertSerializer(alert).data)
