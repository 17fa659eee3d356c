"""/api/v1/customer-service/: the per-shop configuration, without code: ``assistant-settings``
(brand, persona, languages, per-language templates, escalation rules), ``documents`` (upload a
help-centre file or a zip: 201 with the new versions and the embedding job; a broken file is a
400 naming the problem and leaves the old version) and ``connectors`` (the way to the shop's
order system; a URL off the platform's allow-list is a 400). Admins write; agents and auditors
read."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from apps.accounts.roles import Role
from apps.customer_service import selectors
from apps.customer_service.api.serializers import DemoOrderSerializer
from apps.customer_service.models import AssistantSettings, Connector, DemoOrder, Document
from apps.customer_service.services import documents as document_services
from apps.customer_service.services.assistant import (
    AssistantConfigError,
    assistant_settings_update,
    connector_save,
)
from apps.customer_service.services.assistant_texts import assistant_settings
from apps.customer_service.services.ingest import DocumentError
from apps.surface.viewsets import TenantScopedMixin, TenantScopedReadOnlyViewSet

from . import shop_serializers as s
from .common import WRITERS as AGENT_WRITERS

READERS = {Role.ADMIN, Role.AGENT, Role.AUDITOR}
ADMINS = {Role.ADMIN}
ROLES = {"read": READERS, "write": ADMINS}


def config_error(exc: AssistantConfigError) -> ValidationError:
    return ValidationError({exc.field: [str(exc)]})


class AssistantSettingsViewSet(TenantScopedMixin, viewsets.GenericViewSet):
    """The tenant's assistant settings: ``GET current/`` shows them (defaults when never
    saved), ``PATCH update/`` changes the given fields."""

    queryset = AssistantSettings.objects.all()
    allowed_roles = ROLES
    serializer_class = s.AssistantSettingsSerializer
    pagination_class = None

    @extend_schema(responses=s.AssistantSettingsSerializer)
    @action(detail=False, methods=["get"], url_path="current")
    def current(self, request):
        return Response(s.AssistantSettingsSerializer(assistant_settings(request.tenant)).data)

    @extend_schema(
        request=s.AssistantSettingsUpdateSerializer, responses=s.AssistantSettingsSerializer
    )
    @action(detail=False, methods=["patch"], url_path="update")
    def change(self, request):
        body = s.AssistantSettingsUpdateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            config = assistant_settings_update(tenant=request.tenant, **body.validated_data)
        except AssistantConfigError as exc:
            raise config_error(exc) from exc
        return Response(s.AssistantSettingsSerializer(config).data)


class DocumentViewSet(TenantScopedReadOnlyViewSet, mixins.DestroyModelMixin):
    """Help-centre documents with their versions and chunks."""

    queryset = Document.objects.order_by("name")
    allowed_roles = {"read": READERS, "write": AGENT_WRITERS}
    parser_classes = [MultiPartParser, FormParser, JSONParser]
    filterset_fields = ["language"]

    def get_serializer_class(self):
        if self.action == "retrieve":
            return s.DocumentDetailSerializer
        return s.DocumentSerializer

    @extend_schema(request=s.DocumentUploadSerializer, responses={201: s.DocumentSerializer})
    def create(self, request):
        body = s.DocumentUploadSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        upload = body.validated_data["file"]
        try:
            added = document_services.documents_add(
                tenant=request.tenant,
                filename=upload.name,
                data=upload.read(),
                name=body.validated_data["name"],
                language=body.validated_data["language"],
            )
        except DocumentError as exc:
            raise ValidationError({"file": [str(exc)]}) from exc
        return Response(s.DocumentsAddedSerializer(added).data, status=status.HTTP_201_CREATED)

    def perform_destroy(self, instance):
        document_services.document_delete(document=instance)


class ConnectorViewSet(TenantScopedReadOnlyViewSet):
    """The tenant's connectors; ``POST`` creates or changes one by name."""

    queryset = Connector.objects.order_by("name")
    allowed_roles = ROLES
    serializer_class = s.ConnectorSerializer

    @extend_schema(request=s.ConnectorSaveSerializer, responses={201: s.ConnectorSerializer})
    def create(self, request):
        body = s.ConnectorSaveSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            connector = connector_save(tenant=request.tenant, **body.validated_data)
        except AssistantConfigError as exc:
            raise config_error(exc) from exc
        return Response(s.ConnectorSerializer(connector).data, status=status.HTTP_201_CREATED)


class DemoOrderViewSet(TenantScopedReadOnlyViewSet):
    """The demo orders the order actions work on."""

    queryset = DemoOrder.objects.order_by("number")
    serializer_class = DemoOrderSerializer
    allowed_roles = {"read": READERS, "write": AGENT_WRITERS}

    def get_tenant_queryset(self, tenant):
        return selectors.orders_of(tenant=tenant)
