"""/api/v1/notifications/: a tenant's destinations (admins create and remove them; a webhook
host off ``NOTIFICATIONS_ALLOWED_HOSTS`` is a 400 naming ``url``) and the delivery log (admins
and auditors read it)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from apps.accounts.roles import Role
from apps.core.serializers import StrictSerializer
from apps.notifications.models import Delivery, Destination, DestinationKind, Severity
from apps.notifications.services import DestinationRefused, destination_create
from apps.surface.viewsets import TenantScopedReadOnlyViewSet

ROLES = {"read": {Role.ADMIN, Role.AUDITOR}, "write": {Role.ADMIN}}


class DestinationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Destination
        fields = [
            "id",
            "kind",
            "url",
            "secret_header",
            "emails",
            "topics",
            "min_severity",
            "active",
            "created_at",
        ]


class DestinationCreateSerializer(StrictSerializer):
    kind = serializers.ChoiceField(choices=DestinationKind.choices)
    url = serializers.URLField(required=False, allow_blank=True, default="")
    emails = serializers.ListField(child=serializers.EmailField(), required=False, default=list)
    topics = serializers.ListField(
        child=serializers.CharField(max_length=100), required=False, default=list
    )
    secret_header = serializers.CharField(max_length=100, required=False, default="")
    secret_value = serializers.CharField(max_length=200, required=False, default="")
    min_severity = serializers.ChoiceField(
        choices=Severity.choices, required=False, allow_blank=True, default=""
    )


class DeliverySerializer(serializers.ModelSerializer):
    class Meta:
        model = Delivery
        fields = [
            "id",
            "destination",
            "topic",
            "dedup_key",
            "subject",
            "state",
            "attempts",
            "last_error",
            "created_at",
            "sent_at",
        ]


class DestinationViewSet(TenantScopedReadOnlyViewSet, mixins.DestroyModelMixin):
    queryset = Destination.objects.order_by("created_at")
    allowed_roles = ROLES
    serializer_class = DestinationSerializer

    @extend_schema(request=DestinationCreateSerializer, responses={201: DestinationSerializer})
    def create(self, request):
        body = DestinationCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            destination = destination_create(tenant=request.tenant, **body.validated_data)
        except DestinationRefused as exc:
            raise ValidationError({exc.field: [str(exc)]}) from exc
        return Response(DestinationSerializer(destination).data, status=status.HTTP_201_CREATED)


class DeliveryViewSet(TenantScopedReadOnlyViewSet):
    queryset = Delivery.objects.order_by("-created_at")
    allowed_roles = ROLES
    serializer_class = DeliverySerializer
    filterset_fields = ["topic", "state"]
