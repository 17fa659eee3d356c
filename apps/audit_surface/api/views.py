import json
from datetime import timedelta

import django_filters
from django.http import StreamingHttpResponse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.response import Response

from apps.accounts.roles import Role
from apps.audit.models import AuditEvent, Outcome
from apps.audit.selectors import audit_events_as_jsonl, audit_events_of
from apps.audit.services import audit_event_record
from apps.audit_surface.verifications import audit_verification_start
from apps.core.filters import StrictFilterBackend, UtcIsoDateTimeFilter
from apps.jobs.api.serializers import JobSerializer
from apps.jobs.models import Job
from apps.surface.viewsets import TenantScopedMixin, TenantScopedReadOnlyViewSet

from .serializers import AuditEventSerializer

NDJSON = "application/x-ndjson"
# An export without ``since`` covers this much: a bounded default, never the whole history.
DEFAULT_EXPORT_WINDOW = timedelta(days=1)


class NdjsonRenderer(BaseRenderer):
    """Lets clients ask for ``Accept: application/x-ndjson``; the export streams its own body,
    so this only renders error bodies (one JSON line)."""

    media_type = NDJSON
    format = "ndjson"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if data is None:
            return b""
        return (json.dumps(data, ensure_ascii=False) + "\n").encode(self.charset)


class AuditEventFilter(django_filters.FilterSet):
    action = django_filters.CharFilter()
    action_prefix = django_filters.CharFilter(field_name="action", lookup_expr="startswith")
    outcome = django_filters.ChoiceFilter(choices=Outcome.choices)
    resource_type = django_filters.CharFilter()
    resource_id = django_filters.CharFilter()
    actor_kind = django_filters.CharFilter()
    actor_id = django_filters.CharFilter()
    request_id = django_filters.CharFilter()
    since = UtcIsoDateTimeFilter(
        field_name="created_at", lookup_expr="gte", label="Events at or after (ISO 8601)"
    )
    until = UtcIsoDateTimeFilter(
        field_name="created_at", lookup_expr="lt", label="Events before (ISO 8601)"
    )

    class Meta:
        model = AuditEvent
        fields = [
            "action",
            "action_prefix",
            "outcome",
            "resource_type",
            "resource_id",
            "actor_kind",
            "actor_id",
            "request_id",
            "since",
            "until",
        ]


class AuditEventViewSet(TenantScopedReadOnlyViewSet):
    """The tenant's audit log, for auditors and administrators: list (filtered, paginated),
    retrieve, and a streaming JSON-lines export. Read-only: the log is append-only."""

    queryset = AuditEvent.objects.order_by("-created_at", "-seq")
    serializer_class = AuditEventSerializer
    filterset_class = AuditEventFilter
    ordering_fields = ["created_at", "seq"]
    allowed_roles = {Role.AUDITOR, Role.ADMIN}

    def get_tenant_queryset(self, tenant):
        return audit_events_of(tenant=tenant)

    @extend_schema(
        filters=True,
        parameters=[
            OpenApiParameter(
                "since",
                OpenApiTypes.DATETIME,
                description="Events at or after this time; default: the last 24 hours.",
            ),
        ],
        responses={
            (200, NDJSON): OpenApiResponse(
                OpenApiTypes.STR,
                description="One JSON object per line, oldest first: each event's hashed "
                "content with its seq and hash, so the file can be re-verified offline.",
            )
        },
    )
    @action(
        detail=False,
        methods=["get"],
        url_path="export",
        renderer_classes=[JSONRenderer, NdjsonRenderer],
        pagination_class=None,
        filter_backends=[StrictFilterBackend],  # always oldest first: no ?ordering=
    )
    def export(self, request):
        """Stream the tenant's events matching the list filters as JSON lines."""
        now = timezone.now()
        params = request.query_params.copy()
        if not params.get("since"):
            params["since"] = (now - DEFAULT_EXPORT_WINDOW).isoformat()
        filterset = AuditEventFilter(params, queryset=self.get_queryset(), request=request)
        if not filterset.is_valid():
            raise ValidationError(filterset.errors)
        # Up to now: the export's own audit event, written next, is not part of it.
        events = filterset.qs.filter(created_at__lte=now).order_by("seq")
        audit_event_record(
            tenant=request.tenant,
            action="audit.event.export",
            resource_type="audit.event",
            details={
                "filters": {
                    name: str(value)
                    for name, value in filterset.form.cleaned_data.items()
                    if value not in (None, "")
                }
            },
        )
        response = StreamingHttpResponse(audit_events_as_jsonl(events), content_type=NDJSON)
        response["Content-Disposition"] = 'attachment; filename="audit-events.jsonl"'
        return response


class AuditVerificationViewSet(TenantScopedMixin, viewsets.GenericViewSet):
    """Start a verification of the tenant's audit chain and signed checkpoints as a background
    job: 202 with the job (its URL also in ``Location``); the job shows progress (events
    done/total) and ends with ``result.ok`` and the problems found."""

    queryset = Job.objects.order_by("-created_at")
    serializer_class = JobSerializer
    allowed_roles = {Role.AUDITOR, Role.ADMIN}
    pagination_class = None

    @extend_schema(request=None, responses={202: JobSerializer})
    def create(self, request):
        job = audit_verification_start(tenant=request.tenant)
        body = JobSerializer(job, context={"request": request}).data
        return Response(body, status=status.HTTP_202_ACCEPTED, headers={"Location": body["url"]})
