"""/api/v1/medical/: notes (text, file upload, HL7 v2, FHIR DocumentReference), their
extractions, findings and outputs (FHIR R4B Bundle, HL7 v2 ORU^R01), summaries,
re-identification, bulk batches. Thin: validate, call a service or selector, serialize.

Roles: only clinicians and admins read or write records; re-identification is for clinicians
holding a grant. Every read is audited (one event per request).
"""

from __future__ import annotations

import re

import django_filters
from django.conf import settings
from django.http import HttpResponse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.parsers import JSONParser, MultiPartParser
from rest_framework.response import Response

from apps.accounts.roles import Role
from apps.core.errors import PayloadTooLarge
from apps.core.upload_guard import check_cell, check_count, check_lines, check_record
from apps.jobs.api.serializers import JobSerializer
from apps.medical_records import selectors, services
from apps.medical_records.engine.formats.fhir import FhirInputError, document_text
from apps.medical_records.engine.formats.hl7 import Hl7InputError, message_parse, oru_build
from apps.medical_records.engine.pipeline import PIPELINE_VERSION
from apps.medical_records.models import Extraction, Finding, Note, NoteBatch, Severity, Source
from apps.medical_records.services import NoteInput, NoteInputError
from apps.medical_records.services.notes import BATCH_ENDPOINT, SYNC_NOTE_MAX_CHARS
from apps.surface.viewsets import TenantScopedMixin

from . import serializers as s

READERS = {Role.ADMIN, Role.CLINICIAN}
ROLES = {"read": READERS, "write": READERS, "reidentify": {Role.CLINICIAN}}
FHIR_JSON = "application/fhir+json"


class NoteTooLongForOneRequest(PayloadTooLarge):
    """413: a note longer than one request structures in time; a batch job takes it."""

    def __init__(self, length: int, limit: int):
        message = (
            f"text: a note of {length} characters is over the {limit}-character limit of one "
            "request (structuring takes about 0.75 ms a character). POST it to "
            f"{BATCH_ENDPOINT} as a one-line JSONL or CSV file: a job structures it and reports "
            "its progress."
        )
        super().__init__(detail=message)


def hl7_guard(message: str) -> None:
    """The upload guard's caps on an HL7 v2 message: segments as rows, fields as columns and
    each field as a cell (413 naming the limit), before the parser reads it."""
    segments = [segment for segment in re.split(r"\r\n|\r|\n", message) if segment.strip()]
    check_count("max_rows", len(segments), field="message")
    for number, segment in enumerate(segments, start=1):
        fields = segment.split(segment[3] if len(segment) > 3 else "|")
        check_count("max_columns", len(fields), field="message")
        for index, value in enumerate(fields):
            check_cell(value, field="message", where=f"at segment {number}, field {index}")


def invalid(exc: Exception) -> ValidationError:
    return ValidationError(getattr(exc, "errors", None) or {"non_field_errors": [str(exc)]})


class AuditedReadMixin:
    """Audit every list and retrieve: health records are read only on the record."""

    def list(self, request, *args, **kwargs):
        response = super().list(request, *args, **kwargs)
        rows = response.data.get("results", []) if isinstance(response.data, dict) else []
        services.record_read(
            tenant=request.tenant,
            resource_type=self._resource_type(),
            row_count=len(rows),
            what="list",
        )
        return response

    def retrieve(self, request, *args, **kwargs):
        response = super().retrieve(request, *args, **kwargs)
        services.record_read(
            tenant=request.tenant,
            resource_type=self._resource_type(),
            resource_id=str(kwargs.get("pk", "")),
        )
        return response

    def _resource_type(self) -> str:
        return self.queryset.model._meta.label_lower


class NoteFilter(django_filters.FilterSet):
    source = django_filters.ChoiceFilter(choices=Source.choices)
    language = django_filters.CharFilter()
    batch = django_filters.UUIDFilter()

    class Meta:
        model = Note
        fields = ["source", "language", "batch"]


class NoteViewSet(
    AuditedReadMixin,
    TenantScopedMixin,
    mixins.CreateModelMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """Clinical notes, de-identified on arrival and structured at once. POST a note as JSON
    text, ``upload/`` a text file, ``hl7/`` an ORU^R01 or MDM^T02, ``fhir-document/`` a FHIR
    DocumentReference, or ``fhir/`` to get the FHIR Bundle back in the same request. Per note:
    ``fhir/`` (Bundle), ``hl7/`` (ORU^R01), ``summary/`` (chat model, flagged),
    ``reidentify/`` (clinicians with a grant)."""

    queryset = Note.objects.order_by("-created_at")
    serializer_class = s.NoteSerializer
    filterset_class = NoteFilter
    allowed_roles = ROLES
    model_actions = frozenset(
        {"ingest_fhir_document", "upload", "structure_fhir", "create", "summary", "ingest_hl7"}
    )
    parser_classes = [JSONParser, MultiPartParser]

    def get_tenant_queryset(self, tenant):
        return selectors.notes_of(tenant=tenant)

    def get_serializer_class(self):
        return s.NoteSerializer if self.action == "list" else s.NoteDetailSerializer

    def get_object(self):
        note = super().get_object()
        return (
            Note.objects.select_related("extraction", "patient")
            .prefetch_related("findings")
            .get(pk=note.pk)
        )

    def _structure(self, item: NoteInput, source: str) -> Note:
        limit = getattr(settings, "MEDICAL_SYNC_NOTE_MAX_CHARS", SYNC_NOTE_MAX_CHARS)
        if isinstance(item.text, str) and len(item.text) > limit:
            raise NoteTooLongForOneRequest(len(item.text), limit)
        try:
            note = services.note_structure(tenant=self.request.tenant, item=item, source=source)
        except NoteInputError as exc:
            raise invalid(exc) from exc
        return (
            Note.objects.select_related("extraction", "patient")
            .prefetch_related("findings")
            .get(pk=note.pk)
        )

    def _created(self, note: Note) -> Response:
        body = s.NoteDetailSerializer(note, context={"request": self.request}).data
        return Response(body, status=status.HTTP_201_CREATED)

    @extend_schema(request=s.NoteCreateSerializer, responses={201: s.NoteDetailSerializer})
    def create(self, request):
        body = s.NoteCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return self._created(self._structure(NoteInput(**body.validated_data), Source.API))

    @extend_schema(
        request=s.NoteCreateSerializer,
        responses={201: OpenApiResponse(OpenApiTypes.OBJECT, description="FHIR R4B Bundle")},
    )
    @action(detail=False, methods=["post"], url_path="fhir")
    def structure_fhir(self, request):
        """Structure a note and answer with its validated FHIR R4B Bundle in one request."""
        body = s.NoteCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        note = self._structure(NoteInput(**body.validated_data), Source.API)
        response = Response(note.extraction.fhir_bundle, status=status.HTTP_201_CREATED)
        response["Location"] = f"/api/v1/medical/notes/{note.pk}/"
        return response

    @extend_schema(
        request={"multipart/form-data": s.NoteUploadSerializer},
        responses={201: s.NoteDetailSerializer},
    )
    @action(detail=False, methods=["post"], parser_classes=[MultiPartParser])
    def upload(self, request):
        body = s.NoteUploadSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        try:
            text = data["file"].read().decode("utf-8-sig")
        except UnicodeDecodeError:
            raise ValidationError({"file": ["The file must be UTF-8 text."]}) from None
        check_lines(text, field="file")
        item = NoteInput(
            text=text,
            language=data.get("language", ""),
            title=data.get("title") or data["file"].name[:200],
        )
        try:
            item.check()
        except NoteInputError as exc:
            raise ValidationError({"file": exc.errors.get("text", ["Unreadable."])}) from exc
        return self._created(self._structure(item, Source.UPLOAD))

    @extend_schema(request=s.Hl7MessageSerializer, responses={201: s.NoteDetailSerializer})
    @action(detail=False, methods=["post"], url_path="hl7")
    def ingest_hl7(self, request):
        """An HL7 v2 ORU^R01 or MDM^T02; errors are keyed by segment and field."""
        body = s.Hl7MessageSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        hl7_guard(body.validated_data["message"])
        try:
            parsed = message_parse(body.validated_data["message"])
        except Hl7InputError as exc:
            raise invalid(exc) from exc
        item = NoteInput(
            text=parsed["text"],
            title=parsed["title"],
            patient_name=parsed["patient_name"],
            mrn=parsed["mrn"],
        )
        return self._created(self._structure(item, Source.HL7))

    @extend_schema(request=OpenApiTypes.OBJECT, responses={201: s.NoteDetailSerializer})
    @action(detail=False, methods=["post"], url_path="fhir-document")
    def ingest_fhir_document(self, request):
        """A FHIR R4B DocumentReference with the note inline (base64 attachment data)."""
        check_record(request.data, field="resource", skip=frozenset({"data"}))
        try:
            text, title = document_text(request.data)
        except FhirInputError as exc:
            raise invalid(exc) from exc
        check_lines(text, field="content")
        return self._created(self._structure(NoteInput(text=text, title=title), Source.FHIR))

    @extend_schema(
        responses={200: OpenApiResponse(OpenApiTypes.OBJECT, description="FHIR R4B Bundle")}
    )
    @action(detail=True, methods=["get"], url_path="fhir")
    def fhir_bundle(self, request, pk=None):
        note = self.get_object()
        services.record_read(
            tenant=request.tenant,
            resource_type="medical_records.note",
            resource_id=str(note.pk),
            what="fhir",
        )
        return Response(note.extraction.fhir_bundle)

    @extend_schema(
        responses={200: OpenApiResponse(OpenApiTypes.STR, description="HL7 v2 ORU^R01 (ER7)")}
    )
    @action(detail=True, methods=["get"], url_path="hl7")
    def hl7_message(self, request, pk=None):
        note = self.get_object()
        er7 = oru_build(
            note_id=str(note.pk),
            patient_pseudonym=note.patient.pseudonym if note.patient else "[NAME-unknown]",
            entities=note.extraction.entities,
            timestamp=timezone.now().strftime("%Y%m%d%H%M%S"),
            pipeline_version=PIPELINE_VERSION,
        )
        services.record_read(
            tenant=request.tenant,
            resource_type="medical_records.note",
            resource_id=str(note.pk),
            what="hl7",
        )
        return HttpResponse(er7.replace("\r", "\r\n"), content_type="x-application/hl7-v2+er7")

    @extend_schema(request=None, responses={200: s.SummarySerializer})
    @action(detail=True, methods=["post"])
    def summary(self, request, pk=None):
        """The chat model's summary of the de-identified note, grounded in its entities;
        conditions it names that were not extracted are flagged."""
        note = self.get_object()
        extraction = services.extraction_summarize(
            tenant=request.tenant, extraction=note.extraction
        )
        return Response(s.SummarySerializer(extraction).data)

    @extend_schema(request=None, responses={200: s.ReidentifiedSerializer})
    @action(detail=True, methods=["post"])
    def reidentify(self, request, pk=None):
        note = self.get_object()
        try:
            text = services.note_reidentify(
                tenant=request.tenant, note=note, credential=request.auth, role=request.role
            )
        except services.ReidentificationDenied as exc:
            raise PermissionDenied(str(exc)) from exc
        return Response({"note": str(note.pk), "text": text})

    def destroy(self, request, *args, **kwargs):
        services.note_delete(tenant=request.tenant, note=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)


class ExtractionViewSet(AuditedReadMixin, TenantScopedMixin, viewsets.ReadOnlyModelViewSet):
    """What the pipeline found in each note: entities with span, section, assertion, code and
    rule; the summary and its flags."""

    queryset = Extraction.objects.order_by("-created_at")
    serializer_class = s.ExtractionSerializer
    allowed_roles = READERS
    filterset_fields = ["note"]

    def get_tenant_queryset(self, tenant):
        return selectors.extractions_of(tenant=tenant)


class FindingFilter(django_filters.FilterSet):
    severity = django_filters.ChoiceFilter(choices=Severity.choices)
    kind = django_filters.CharFilter()
    note = django_filters.UUIDFilter()

    class Meta:
        model = Finding
        fields = ["severity", "kind", "note"]


class FindingViewSet(AuditedReadMixin, TenantScopedMixin, viewsets.ReadOnlyModelViewSet):
    """Check results (contradictions, drug-allergy, drug-condition, drug-drug, dose range)
    with severity and evidence spans."""

    queryset = Finding.objects.order_by("-created_at")
    serializer_class = s.FindingSerializer
    filterset_class = FindingFilter
    allowed_roles = READERS

    def get_tenant_queryset(self, tenant):
        return selectors.findings_of(tenant=tenant)


class NoteBatchViewSet(
    AuditedReadMixin,
    TenantScopedMixin,
    mixins.CreateModelMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Bulk ingestion: POST a CSV (``text`` column) or JSONL file; 202 with the job, whose
    progress counts structured notes."""

    queryset = NoteBatch.objects.order_by("-created_at")
    serializer_class = s.NoteBatchSerializer
    allowed_roles = READERS
    parser_classes = [MultiPartParser, JSONParser]

    def get_tenant_queryset(self, tenant):
        return selectors.batches_of(tenant=tenant)

    @extend_schema(
        request={"multipart/form-data": s.BatchCreateSerializer}, responses={202: JobSerializer}
    )
    def create(self, request):
        body = s.BatchCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        upload = body.validated_data["file"]
        fmt = body.validated_data.get("format") or (
            Source.JSONL
            if upload.name.lower().endswith((".jsonl", ".ndjson", ".json"))
            else Source.CSV
        )
        try:
            batch = services.note_batch_start(tenant=request.tenant, content=upload.read(), fmt=fmt)
        except NoteInputError as exc:
            raise invalid(exc) from exc
        job = JobSerializer(batch.job, context={"request": request}).data
        body = {**job, "batch": str(batch.pk)}
        return Response(body, status=status.HTTP_202_ACCEPTED, headers={"Location": job["url"]})
