"""/api/v1/customer-service/intents/, examples/ and models/: intents with their required slots,
training and held-out examples (and CSV import), trained intent models (training is a job;
prediction with fallback). Thin: validate, call a service or selector, serialize. The other
resources: ``conversations.py`` (conversations, the agent queue), ``feedback.py`` (ratings,
reviews, reports) and ``shop_views.py`` (the per-shop configuration and demo orders).

Roles: admins and agents work here (conversations, messages, intents, training); a client
system talks to the assistant with an API key of either role. Auditors read. Approving a
correction from the review queue is for admins.
"""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import JSONParser, MultiPartParser
from rest_framework.response import Response

from apps.accounts.roles import Role
from apps.customer_service import selectors, services
from apps.customer_service.models import Intent, IntentModel, TrainingExample
from apps.jobs.api.serializers import JobSerializer
from apps.registry.api import FourEyesPromotionMixin, PromotionReasonSerializer
from apps.registry.models import ModelState
from apps.surface.viewsets import (
    TenantScopedCreateListRetrieveViewSet,
    TenantScopedMixin,
    TenantScopedModelViewSet,
)
from models_runtime import errors as runtime_errors

from . import serializers as s
from .common import ROLES, Conflict, invalid, model_error


class IntentViewSet(TenantScopedModelViewSet):
    """Intents with their required slots (the form)."""

    queryset = Intent.objects.order_by("name")
    serializer_class = s.IntentSerializer
    allowed_roles = ROLES

    def get_tenant_queryset(self, tenant):
        return selectors.intents_of(tenant=tenant)

    def perform_create(self, serializer):
        try:
            serializer.instance = services.intent_create(
                tenant=self.request.tenant, **serializer.validated_data
            )
        except services.TrainingDataError as exc:
            raise invalid(exc) from exc

    def perform_update(self, serializer):
        try:
            serializer.instance = services.intent_update(
                tenant=self.request.tenant,
                intent=serializer.instance,
                changes=dict(serializer.validated_data),
            )
        except services.TrainingDataError as exc:
            raise invalid(exc) from exc


class TrainingExampleViewSet(
    TenantScopedMixin,
    mixins.CreateModelMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """Training and held-out examples; ``import`` takes a CSV (``intent,text[,split]``)."""

    queryset = TrainingExample.objects.order_by("intent__name", "text")
    serializer_class = s.TrainingExampleSerializer
    allowed_roles = ROLES
    parser_classes = [JSONParser, MultiPartParser]
    filterset_fields = ["split"]

    def get_tenant_queryset(self, tenant):
        return selectors.examples_of(tenant=tenant)

    def create(self, request):
        body = self.get_serializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        try:
            example = services.example_add(
                tenant=request.tenant, intent=data["intent"], text=data["text"], split=data["split"]
            )
        except services.TrainingDataError as exc:
            raise invalid(exc) from exc
        return Response(self.get_serializer(example).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=s.ExampleImportSerializer, responses={200: dict})
    @action(detail=False, methods=["post"], url_path="import")
    def import_csv(self, request):
        body = s.ExampleImportSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        upload = body.validated_data.get("file")
        if upload is not None:
            try:
                content = upload.read().decode("utf-8-sig")
            except UnicodeDecodeError as exc:
                raise ValidationError({"file": ["the CSV must be UTF-8"]}) from exc
        else:
            content = body.validated_data["csv"]
        try:
            result = services.examples_import_csv(tenant=request.tenant, content=content)
        except services.TrainingDataError as exc:
            raise invalid(exc) from exc
        return Response(result)


class IntentModelViewSet(FourEyesPromotionMixin, TenantScopedCreateListRetrieveViewSet):
    """Trained versions with their evaluation reports. POST trains a new version as a job
    (202 + job URL); ``predict`` ranks intents for a text with the fallback rule. A tenant with
    four eyes on promotions keeps a trained version a draft: ``promote`` (admins) files a
    request that another admin approves (``approve-promotion``, ``reject-promotion``)."""

    queryset = IntentModel.objects.order_by("-version")
    serializer_class = s.IntentModelSerializer
    model_actions = frozenset({"predict"})
    allowed_roles = {
        **ROLES,
        "promote": {Role.ADMIN},
        "approve_promotion": {Role.ADMIN},
        "reject_promotion": {Role.ADMIN},
    }

    def get_tenant_queryset(self, tenant):
        return selectors.intent_models_of(tenant=tenant)

    @extend_schema(request=s.IntentTrainSerializer, responses={202: JobSerializer})
    def create(self, request):
        body = s.IntentTrainSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        job = services.intent_model_train_start(tenant=request.tenant, **body.validated_data)
        data = JobSerializer(job, context={"request": request}).data
        return Response(data, status=status.HTTP_202_ACCEPTED, headers={"Location": data["url"]})

    @extend_schema(request=PromotionReasonSerializer, responses=s.IntentModelSerializer)
    @action(detail=True, methods=["post"])
    def promote(self, request, pk=None):
        model = self.get_object()
        return self.promote_or_request(
            request,
            version=model,
            state=ModelState.CHAMPION,
            promote=lambda: services.intent_model_promote(tenant=request.tenant, model=model),
        )

    @extend_schema(request=s.PredictSerializer, responses={200: dict})
    @action(detail=False, methods=["post"])
    def predict(self, request):
        body = s.PredictSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            understood = services.understand(
                tenant=request.tenant,
                text=body.validated_data["text"],
                top_k=body.validated_data["top_k"],
            )
        except services.NoIntentModel as exc:
            raise Conflict(str(exc)) from exc
        except runtime_errors.ModelsRuntimeError as exc:
            raise model_error(exc) from exc
        decision = understood.decision
        return Response(
            {
                "intent": decision.intent,
                "confidence": decision.confidence,
                "fallback": decision.fallback,
                "fallback_reason": decision.reason or None,
                "ranking": understood.ranking,
                "sentiment": {"label": understood.sentiment, "score": understood.sentiment_score},
                "model_version": understood.model_version,
            }
        )
