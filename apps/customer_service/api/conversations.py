"""/api/v1/customer-service/conversations/ and handoffs/: conversations with the assistant
(messages as JSON or server-sent events, agents' replies, closing a handoff) and the agent
queue. Thin: validate, call a service or selector, serialize."""

from __future__ import annotations

import json

from django.http import StreamingHttpResponse
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.response import Response

from apps.customer_service import selectors, services
from apps.customer_service.models import Conversation, Handoff
from apps.surface.viewsets import (
    TenantScopedCreateListRetrieveViewSet,
    TenantScopedReadOnlyViewSet,
)
from models_runtime import errors as runtime_errors

from . import serializers as s
from .common import ROLES, Conflict, model_error


class ConversationViewSet(TenantScopedCreateListRetrieveViewSet):
    """Conversations with the assistant. ``messages`` posts the user's message and answers
    with the reply, intent, confidence, slots, sources and sentiment (``"stream": true``:
    server-sent events ``meta``… ``delta`` … ``done``); ``agent-reply`` adds an agent's message
    to the transcript; ``close-handoff`` gives the conversation back to the assistant."""

    queryset = Conversation.objects.order_by("-created_at")
    allowed_roles = ROLES
    model_actions = frozenset({"messages"})
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
            outcome = services.message_reply(conversation=conversation, text=text)
        except services.NoIntentModel as exc:
            raise Conflict(str(exc)) from exc
        except services.ConversationClosed as exc:
            raise Conflict(str(exc)) from exc
        except runtime_errors.ModelsRuntimeError as exc:
            raise model_error(exc) from exc
        return Response(s.ReplySerializer(outcome).data)

    def _stream(self, conversation, text):
        events = services.message_stream(conversation=conversation, text=text)

        def sse():
            try:
                for event in events:
                    if "delta" in event:
                        yield f"event: delta\ndata: {json.dumps({'text': event['delta']})}\n\n"
                    else:
                        body = s.ReplySerializer(event["done"]).data
                        yield f"event: done\ndata: {json.dumps(body)}\n\n"
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
