"""/api/v1/medical/corrections/: clinicians correct extractions (wrong span, code or assertion,
missed entity, missed PHI) and read the error rate over time. Thin: validate, call the service."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.response import Response

from apps.accounts.roles import Role
from apps.core.serializers import StrictSerializer
from apps.medical_records import selectors
from apps.medical_records.models import Correction, CorrectionKind
from apps.medical_records.services import NoteInputError
from apps.medical_records.services.corrections import correction_create, correction_error_report
from apps.surface.viewsets import TenantScopedMixin

READERS = {Role.ADMIN, Role.CLINICIAN}


class CorrectionCreateSerializer(StrictSerializer):
    note = serializers.UUIDField()
    kind = serializers.ChoiceField(choices=CorrectionKind.choices)
    entity_id = serializers.CharField(max_length=20, required=False, allow_blank=True)
    start = serializers.IntegerField(min_value=0, required=False)
    end = serializers.IntegerField(min_value=0, required=False)
    entity_type = serializers.CharField(max_length=20, required=False, allow_blank=True)
    code_system = serializers.CharField(max_length=20, required=False, allow_blank=True)
    code = serializers.CharField(max_length=40, required=False, allow_blank=True)
    assertion = serializers.CharField(max_length=16, required=False, allow_blank=True)
    phi_kind = serializers.CharField(max_length=12, required=False, allow_blank=True)
    comment = serializers.CharField(max_length=300, required=False, allow_blank=True)


class CorrectionSerializer(serializers.ModelSerializer):
    class Meta:
        model = Correction
        exclude = ["encrypted_value", "tenant"]


class CorrectionViewSet(
    TenantScopedMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Corrections of this tenant's extractions, newest first; POST records one."""

    queryset = Correction.objects.order_by("-created_at")
    serializer_class = CorrectionSerializer
    allowed_roles = {"read": READERS, "write": READERS}
    filterset_fields = ["note", "kind"]

    def get_tenant_queryset(self, tenant):
        return selectors.corrections_of(tenant=tenant)

    @extend_schema(request=CorrectionCreateSerializer, responses={201: CorrectionSerializer})
    def create(self, request):
        body = CorrectionCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = dict(body.validated_data)
        note = (
            selectors.notes_of(tenant=request.tenant)
            .select_related("extraction")
            .filter(pk=data.pop("note"))
            .first()
        )
        if note is None or not hasattr(note, "extraction"):
            raise NotFound("No such note.")
        user = request.user if getattr(request.user, "is_authenticated", False) else None
        try:
            correction = correction_create(tenant=request.tenant, note=note, user=user, **data)
        except NoteInputError as exc:
            raise ValidationError(exc.errors) from exc
        return Response(CorrectionSerializer(correction).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses={200: serializers.ListSerializer(child=serializers.DictField())})
    @action(detail=False, methods=["get"], pagination_class=None)
    def report(self, request):
        """Entities extracted, corrections and error rate per ISO week."""
        return Response(correction_error_report(tenant=request.tenant))
