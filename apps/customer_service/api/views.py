"""/api/v1/customer-service/: conversations and messages (JSON or server-sent events), the agent
queue and agents' replies, ratings and the review queue, intents, examples (and CSV import),
trained intent models (training is a job; prediction with fallback), rating reports, demo
orders. Thin: validate, call a service or selector, serialize.

Roles: admins and agents work here (conversations, messages, intents, training); a client
system talks to the assistant with an API key of either role. Auditors read. Approving a
correction from the review queue is for admins.
"""

from __future__ import annotations

import json

from django.http import StreamingHttpResponse
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import APIException, ValidationError
from rest_framework.parsers import JSONParser, MultiPartParser
from rest_framework.response import Response

from apps.accounts.api.viewsets import (
    TenantScopedCreateListRetrieveViewSet,
    TenantScopedMixin,
    TenantScopedModelViewSet,
    TenantScopedReadOnlyViewSet,
)
from apps.accounts.roles import Role
from apps.customer_service import selectors, services
from apps.customer_service.models import (
    Conversation,
    DemoOrder,
    Handoff,
    Intent,
    IntentModel,
    Rating,
    RatingsReport,
    ReviewItem,
    TrainingExample,
)
from apps.jobs.api.serializers import JobSerializer
from models_runtime import errors as runtime_errors
from models_runtime.api.errors import to_api_error

from . import serializers as s

WRITERS = {Role.ADMIN, Role.AGENT}
READERS = {Role.ADMIN, Role.AGENT, Role.AUDITOR}
ROLES = {"read": READERS, "write": WRITERS}


class Conflict(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "conflict"


def invalid(exc) -> ValidationError:
    return ValidationError(getattr(exc, "errors", None) or {"non_field_errors": [str(exc)]})


def model_error(exc: runtime_errors.ModelsRuntimeError) -> APIException:
    return to_api_error(exc, "text")


class ConversationViewSet(TenantScopedCreateListRetrieveViewSet):
    """Conversations with the assistant. ``messages`` posts the user's message and answers
    with the reply, intent, confidence, slots, sources and sentiment (``"stream": true``:
    server-sent events ``meta``… ``delta`` … ``done``); ``agent-reply`` adds an agent's message
    to the transcript; ``close-handoff`` gives the conversation back to the assistant."""

    queryset = Conversation.objects.order_by("-created_at")
    allowed_roles = ROLES
    filterset_fields = ["status", "channel"]

    def get_tenant_queryset(self, tenant):
        return selectors.conversations_of(tenant=tenant)

    def get_serializer_class(self):
        if self.action == "retrieve":
            return s.ConversationDetailSerializer
        return s.ConversationSerializer

    @extend_schema(request=s.ConversationStartSerializer, responses={201: s.ConversationSerializer})
    def create(self, request):
        body = s.ConversationStartSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        conversation = services.conversation_start(
            tenant=request.tenant, channel=body.validated_data["channel"]
        )
        return Response(s.ConversationSerializer(conversation).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=s.ConversationMessageSerializer,
        responses={
            200: OpenApiResponse(
                s.ReplySerializer, description="JSON, or text/event-stream when stream=true"
            )
        },
    )
    @action(detail=True, methods=["post"])
    def messages(self, request, pk=None):
        conversation = self.get_object()
        body = s.ConversationMessageSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        text, stream = body.validated_data["text"], body.validated_data["stream"]
        try:
            if stream:
                return self._stream(conversation, text)
            reply = services.message_reply(conversation=conversation, text=text)
        except services.NoIntentModel as exc:
            raise Conflict(str(exc)) from exc
        except services.ConversationClosed as exc:
            raise Conflict(str(exc)) from exc
        except runtime_errors.ModelsRuntimeError as exc:
            raise model_error(exc) from exc
        return Response(reply)

    def _stream(self, conversation, text):
        events = services.message_stream(conversation=conversation, text=text)

        def sse():
            try:
                for event in events:
                    if "delta" in event:
                        yield f"event: delta\ndata: {json.dumps({'text': event['delta']})}\n\n"
                    else:
                        yield f"event: done\ndata: {json.dumps(event['done'])}\n\n"
            except runtime_errors.ModelsRuntimeError as exc:
                error = model_error(exc)
                payload = {"status": error.status_code, "detail": str(error.detail)}
                yield f"event: error\ndata: {json.dumps(payload)}\n\n"

        response = StreamingHttpResponse(sse(), content_type="text/event-stream")
        response["Cache-Control"] = "no-cache"
        response["X-Accel-Buffering"] = "no"
        return response

    @extend_schema(request=s.AgentReplySerializer, responses={201: s.TurnSerializer})
    @action(detail=True, methods=["post"], url_path="agent-reply")
    def agent_reply(self, request, pk=None):
        conversation = self.get_object()
        body = s.AgentReplySerializer(data=request.data)
        body.is_valid(raise_exception=True)
        user = request.user if getattr(request.user, "is_authenticated", False) else None
        turn = services.agent_reply(
            conversation=conversation, user=user, text=body.validated_data["text"]
        )
        return Response(s.TurnSerializer(turn).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=s.HandoffCloseSerializer, responses=s.ConversationSerializer)
    @action(detail=True, methods=["post"], url_path="close-handoff")
    def close_handoff(self, request, pk=None):
        conversation = self.get_object()
        body = s.HandoffCloseSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.handoff_close(
            conversation=conversation,
            back_to_assistant=body.validated_data["back_to_assistant"],
        )
        return Response(s.ConversationSerializer(conversation).data)


class HandoffViewSet(TenantScopedReadOnlyViewSet):
    """The agent queue: conversations handed to a person (``state=open``: waiting)."""

    queryset = Handoff.objects.order_by("-created_at")
    serializer_class = s.HandoffSerializer
    allowed_roles = ROLES
    filterset_fields = ["state", "reason"]

    def get_tenant_queryset(self, tenant):
        return selectors.handoffs_of(tenant=tenant)


class RatingViewSet(TenantScopedCreateListRetrieveViewSet):
    """Ratings (1–5) of assistant replies by users or agents; 2 or less opens a review."""

    queryset = Rating.objects.order_by("-created_at")
    serializer_class = s.RatingSerializer
    allowed_roles = ROLES

    def get_tenant_queryset(self, tenant):
        return selectors.ratings_of(tenant=tenant)

    def create(self, request):
        body = self.get_serializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        try:
            rating = services.rating_create(
                tenant=request.tenant,
                turn=data["turn"],
                score=data["score"],
                rater=data["rater"],
                comment=data.get("comment", ""),
            )
        except services.ReviewError as exc:
            raise invalid(exc) from exc
        return Response(self.get_serializer(rating).data, status=status.HTTP_201_CREATED)


class ReviewItemViewSet(TenantScopedReadOnlyViewSet):
    """The review queue of low-rated replies; an admin approves a correction (a training
    example for an intent, or an FAQ entry) or dismisses the item."""

    queryset = ReviewItem.objects.order_by("-created_at")
    serializer_class = s.ReviewItemSerializer
    allowed_roles = {"read": READERS, "approve": {Role.ADMIN}, "dismiss": {Role.ADMIN}}
    filterset_fields = ["state"]

    def get_tenant_queryset(self, tenant):
        return selectors.reviews_of(tenant=tenant)

    @extend_schema(request=s.ReviewApproveSerializer, responses=s.ReviewItemSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        item = self.get_object()
        body = s.ReviewApproveSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        user = request.user if getattr(request.user, "is_authenticated", False) else None
        try:
            item = services.review_approve(
                tenant=request.tenant, item=item, user=user, **body.validated_data
            )
        except services.ReviewError as exc:
            raise invalid(exc) from exc
        return Response(self.get_serializer(item).data)

    @extend_schema(request=None, responses=s.ReviewItemSerializer)
    @action(detail=True, methods=["post"])
    def dismiss(self, request, pk=None):
        item = self.get_object()
        user = request.user if getattr(request.user, "is_authenticated", False) else None
        item = services.review_dismiss(tenant=request.tenant, item=item, user=user)
        return Response(self.get_serializer(item).data)


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


class IntentModelViewSet(TenantScopedCreateListRetrieveViewSet):
    """Trained versions with their evaluation reports. POST trains a new version as a job
    (202 + job URL); ``predict`` ranks intents for a text with the fallback rule."""

    queryset = IntentModel.objects.order_by("-version")
    serializer_class = s.IntentModelSerializer
    allowed_roles = ROLES

    def get_tenant_queryset(self, tenant):
        return selectors.intent_models_of(tenant=tenant)

    @extend_schema(request=s.IntentTrainSerializer, responses={202: JobSerializer})
    def create(self, request):
        body = s.IntentTrainSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        job = services.intent_model_train_start(tenant=request.tenant, **body.validated_data)
        data = JobSerializer(job, context={"request": request}).data
        return Response(data, status=status.HTTP_202_ACCEPTED, headers={"Location": data["url"]})

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


class RatingsReportViewSet(TenantScopedCreateListRetrieveViewSet):
    """Ratings by intent; POST makes one now (``days``, default 7); celery-beat makes one
    weekly."""

    queryset = RatingsReport.objects.order_by("-created_at")
    serializer_class = s.RatingsReportSerializer
    allowed_roles = ROLES

    def get_tenant_queryset(self, tenant):
        return selectors.reports_of(tenant=tenant)

    @extend_schema(request=s.ReportCreateSerializer, responses={201: s.RatingsReportSerializer})
    def create(self, request):
        body = s.ReportCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        report = services.ratings_report_create(
            tenant=request.tenant, days=body.validated_data["days"]
        )
        return Response(self.get_serializer(report).data, status=status.HTTP_201_CREATED)


class DemoOrderViewSet(TenantScopedReadOnlyViewSet):
    """The demo orders the order actions work on."""

    queryset = DemoOrder.objects.order_by("number")
    serializer_class = s.DemoOrderSerializer
    allowed_roles = ROLES

    def get_tenant_queryset(self, tenant):
        return selectors.orders_of(tenant=tenant)
