"""/api/v1/adaptation/: training sets (uploaded JSONL), the adapter registry (train as a job,
evaluate as a job, promote, retire). Thin: validate, call a service or selector, serialize.

Roles: admins and analysts upload data and train; auditors read; only admins promote and
retire (what serves customers changes).
"""

from __future__ import annotations

import django_filters
from django.conf import settings
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import JSONParser, MultiPartParser
from rest_framework.response import Response

from apps.accounts.roles import Role
from apps.adaptation import selectors, services
from apps.adaptation.engine.lora import ConfigError
from apps.adaptation.engine.pairs import PairsError
from apps.adaptation.models import AdapterState, AdapterVersion, TrainingSet
from apps.jobs.api.serializers import JobSerializer
from apps.registry.api import FourEyesPromotionMixin, PromotionReasonSerializer
from apps.registry.models import ModelState
from apps.surface.viewsets import TenantScopedCreateListRetrieveViewSet
from models_runtime.specs import specs_from_settings

from . import serializers as s

WRITERS = {Role.ADMIN, Role.ANALYST}
READERS = {Role.ADMIN, Role.ANALYST, Role.AUDITOR}


def invalid(exc: Exception, prefix: str = "") -> ValidationError:
    errors = getattr(exc, "errors", None) or {"non_field_errors": [str(exc)]}
    return ValidationError({f"{prefix}{key}": value for key, value in errors.items()})


def accepted(job, request) -> Response:
    body = JobSerializer(job, context={"request": request}).data
    return Response(body, status=status.HTTP_202_ACCEPTED, headers={"Location": body["url"]})


class TrainingSetViewSet(TenantScopedCreateListRetrieveViewSet):
    """Training sets: upload JSONL pairs (multipart ``file`` or JSON ``jsonl``); each bad
    line is named in the 400; duplicates are dropped and personal data masked on upload."""

    queryset = TrainingSet.objects.order_by("-created_at")
    serializer_class = s.TrainingSetSerializer
    parser_classes = [JSONParser, MultiPartParser]
    allowed_roles = {"read": READERS, "write": WRITERS}

    def get_tenant_queryset(self, tenant):
        return selectors.training_sets_of(tenant=tenant)

    @extend_schema(request=s.TrainingSetCreateSerializer, responses={201: s.TrainingSetSerializer})
    def create(self, request):
        body = s.TrainingSetCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        upload = request.FILES.get("file")
        try:
            training_set = services.training_set_create(
                tenant=request.tenant,
                name=data["name"],
                content=data.get("file") or data.get("jsonl"),
                filename=upload.name if upload else "",
                field="jsonl" if "jsonl" in data else "file",
            )
        except PairsError as exc:
            if "jsonl" in data:
                exc.errors = {"jsonl": exc.errors.get("file", [])}
            raise invalid(exc) from exc
        return Response(self.get_serializer(training_set).data, status=status.HTTP_201_CREATED)


class AdapterFilter(django_filters.FilterSet):
    state = django_filters.ChoiceFilter(choices=AdapterState.choices, method="filter_state")
    name = django_filters.CharFilter()

    class Meta:
        model = AdapterVersion
        fields = ["state", "name"]

    def filter_state(self, queryset, name, value):
        # The API's word ("promoted") for the registry's state ("champion").
        return queryset.filter(state=AdapterVersion.state_from_word(value))


class AdapterViewSet(FourEyesPromotionMixin, TenantScopedCreateListRetrieveViewSet):
    """The adapter registry. POST trains a new version as a job (202; progress shows step,
    loss and validation loss); ``evaluate`` re-runs the before/after evaluation as a job;
    ``promote`` (admins; needs an improvement) serves the version for its name, or, when the
    tenant keeps four eyes on promotions, files a request that another admin approves
    (``approve-promotion``, ``reject-promotion``); ``retire`` stops serving it."""

    queryset = AdapterVersion.objects.order_by("name", "-version")
    serializer_class = s.AdapterSerializer
    filterset_class = AdapterFilter
    allowed_roles = {
        "read": READERS,
        "write": WRITERS,
        "promote": {Role.ADMIN},
        "approve_promotion": {Role.ADMIN},
        "reject_promotion": {Role.ADMIN},
        "retire": {Role.ADMIN},
    }

    def get_tenant_queryset(self, tenant):
        return selectors.adapters_of(tenant=tenant)

    def get_serializer_class(self):
        return s.AdapterListSerializer if self.action == "list" else s.AdapterSerializer

    @extend_schema(request=s.AdapterTrainSerializer, responses={202: JobSerializer})
    def create(self, request):
        body = s.AdapterTrainSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        training_set = None
        if data.get("training_set"):
            training_set = (
                selectors.training_sets_of(tenant=request.tenant)
                .filter(pk=data["training_set"])
                .first()
            )
            if training_set is None:
                raise ValidationError({"training_set": ["No such training set."]})
        specs = specs_from_settings(settings.MODELS_RUNTIME)
        spec = specs.get(data["base_model"])
        if spec is None or spec.task != "chat" or spec.backend != "transformers":
            raise ValidationError(
                {"base_model": ['Not a local chat model of models_runtime (e.g. "chat").']}
            )
        try:
            job = services.adapter_train_start(
                tenant=request.tenant,
                name=data["name"],
                base_model=data["base_model"],
                sources=data["sources"],
                training_set=training_set,
                training_config=data["training_config"],
            )
        except ConfigError as exc:
            raise invalid(exc, "training_config.") from exc
        except PairsError as exc:
            raise invalid(exc) from exc
        return accepted(job, request)

    @extend_schema(request=None, responses={202: JobSerializer})
    @action(detail=True, methods=["post"])
    def evaluate(self, request, pk=None):
        return accepted(
            services.adapter_evaluate_start(tenant=request.tenant, adapter=self.get_object()),
            request,
        )

    @extend_schema(request=PromotionReasonSerializer, responses=s.AdapterSerializer)
    @action(detail=True, methods=["post"])
    def promote(self, request, pk=None):
        adapter = self.get_object()
        return self.promote_or_request(
            request,
            version=adapter,
            state=ModelState.CHAMPION,
            promote=lambda: services.adapter_promote(tenant=request.tenant, adapter=adapter),
        )

    @extend_schema(request=None, responses=s.AdapterSerializer)
    @action(detail=True, methods=["post"])
    def retire(self, request, pk=None):
        adapter = services.adapter_retire(tenant=request.tenant, adapter=self.get_object())
        return Response(s.AdapterSerializer(adapter, context={"request": request}).data)
