"""REST over the inference worker: model specs and state, embeddings, chat (optionally as
server-sent events). Authentication, the tenant and roles come from the platform's default DRF
settings; every call is audited with the model's name, revision and a keyed input digest
(``models_runtime.auditing``)."""

from __future__ import annotations

import json
import time

from django.conf import settings
from django.http import StreamingHttpResponse
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.response import Response

from apps.accounts.roles import Role
from apps.surface.viewsets import PlatformAPIView
from models_runtime import client, errors, routing
from models_runtime.auditing import inference_call_record
from models_runtime.specs import specs_from_settings
from models_runtime.tasks import status_task

from .errors import QueueFullError, to_api_error
from .serializers import (
    ChatRequestSerializer,
    ChatResponseSerializer,
    EmbedRequestSerializer,
    EmbedResponseSerializer,
)

# Everyone but the read-only auditor may call models directly (the roles come from the
# installed verticals' declarations).
CALLERS = set(Role.values) - {Role.AUDITOR}


def _timings(result) -> dict:
    return {
        "queue_ms": round(result.queue_ms, 2),
        "compute_ms": round(result.compute_ms, 2),
        "batch_size": result.batch_size,
    }


class InferenceView(PlatformAPIView):
    allowed_roles = CALLERS
    model_actions = frozenset({"post"})
    input_field = "texts"

    def handle_exception(self, exc):
        if isinstance(exc, errors.ModelsRuntimeError):
            api_error = to_api_error(exc, self.input_field)
            payload = getattr(self, "_payload", {})
            inference_call_record(
                tenant=self.request.tenant,
                action=self.action_name,
                result=None,
                payload=payload,
                outcome="error",
                status_code=api_error.status_code,
                details={"error": type(exc).__name__},
            )
            response = super().handle_exception(api_error)
            if isinstance(api_error, QueueFullError):
                response["Retry-After"] = str(api_error.wait)
            return response
        return super().handle_exception(exc)


class EmbedView(InferenceView):
    """Embed texts with an embedding model (default ``embed``: all-MiniLM-L6-v2)."""

    action_name = "inference.embed"

    @extend_schema(request=EmbedRequestSerializer, responses=EmbedResponseSerializer)
    def post(self, request):
        body = EmbedRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        self._payload = {"model": data["model"], "texts": data["texts"]}
        result = client.embed(
            data["texts"], tenant_id=request.tenant.pk, model=data["model"], use_cache=data["cache"]
        )
        inference_call_record(
            tenant=request.tenant,
            action=self.action_name,
            result=result,
            payload=self._payload,
            details={
                "texts": len(data["texts"]),
                "tokens_in": result.tokens_in,
                "cached": result.cached,
            },
        )
        return Response(
            {
                "model": result.model,
                "revision": result.revision,
                "embeddings": result.outputs,
                "usage": {"tokens_in": result.tokens_in},
                "timings": _timings(result),
                "cached": result.cached,
            }
        )


class ChatView(InferenceView):
    """A chat completion; ``"stream": true`` answers as server-sent events (``delta`` events,
    then one ``done`` event with the same body as the JSON answer)."""

    action_name = "inference.chat"
    input_field = "messages"

    @extend_schema(
        request=ChatRequestSerializer,
        responses={
            200: ChatResponseSerializer,
            206: OpenApiResponse(description="text/event-stream when stream=true"),
        },
    )
    def post(self, request):
        body = ChatRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = dict(body.validated_data)
        stream, use_cache, model = data.pop("stream"), data.pop("cache"), data.pop("model")
        data["messages"] = [dict(m) for m in data["messages"]]
        self._payload = {"model": model, **data}
        if stream:
            return self._stream(request, model, data)
        result = client.chat(
            data.pop("messages"),
            tenant_id=request.tenant.pk,
            model=model,
            use_cache=use_cache,
            **data,
        )
        self._audit_chat(request, result)
        return Response(self._body(result))

    def _audit_chat(self, request, result):
        inference_call_record(
            tenant=request.tenant,
            action=self.action_name,
            result=result,
            payload=self._payload,
            details={
                "tokens_in": result.tokens_in,
                "tokens_out": result.tokens_out,
                "cached": result.cached,
                **({"adapter": result.extra["adapter"]} if result.extra.get("adapter") else {}),
            },
        )

    @staticmethod
    def _body(result) -> dict:
        output = result.output
        return {
            "model": result.model,
            "revision": result.revision,
            "message": {"role": "assistant", "content": output["text"]},
            "reasoning": output.get("reasoning"),
            "finish_reason": output.get("finish_reason", "stop"),
            "usage": {"tokens_in": result.tokens_in, "tokens_out": result.tokens_out},
            "timings": _timings(result),
            "cached": result.cached,
            **({"adapter": result.extra["adapter"]} if result.extra.get("adapter") else {}),
        }

    def _stream(self, request, model, data):
        messages = data.pop("messages")
        # Errors found before the first byte (quota, backpressure) still answer as JSON.
        events = client.chat_stream(messages, tenant_id=request.tenant.pk, model=model, **data)
        first = next(events)

        def sse():
            event = first
            try:
                while True:
                    if "delta" in event:
                        yield f"event: delta\ndata: {json.dumps({'text': event['delta']})}\n\n"
                    else:
                        result = event["done"]
                        self._audit_chat(request, result)
                        yield f"event: done\ndata: {json.dumps(self._body(result))}\n\n"
                        return
                    event = next(events)
            except errors.ModelsRuntimeError as exc:
                api_error = to_api_error(exc, self.input_field)
                error = {
                    "type": type(exc).__name__,
                    "status": api_error.status_code,
                    "detail": str(api_error.detail),
                }
                yield f"event: error\ndata: {json.dumps(error)}\n\n"

        response = StreamingHttpResponse(sse(), content_type="text/event-stream")
        response["Cache-Control"] = "no-cache"
        response["X-Accel-Buffering"] = "no"  # nginx must not buffer the stream
        return response


class ModelListView(PlatformAPIView):
    """Configured models with their specs and, from a live inference worker, whether each is
    loaded, on which device, and its revision."""

    @extend_schema(responses={200: OpenApiResponse(description="models and their state")})
    def get(self, request):
        live = self._worker_status()
        models = []
        for name, spec in sorted(specs_from_settings(settings.MODELS_RUNTIME).items()):
            state = live.get(name, {})
            models.append(
                {
                    "name": name,
                    "task": spec.task,
                    "queue": routing.queue_of(spec),
                    "backend": spec.backend,
                    "source": spec.source,
                    "revision": state.get("revision") or spec.revision,
                    "dtype": state.get("dtype") or spec.dtype,
                    "device": state.get("device") or spec.device,
                    "quantization": spec.quantization,
                    "max_batch_size": spec.max_batch_size,
                    "max_batch_wait_ms": spec.max_batch_wait_ms,
                    "loaded": bool(state.get("loaded")),
                    "batcher": state.get("batcher"),
                }
            )
        return Response(
            {
                "count": len(models),
                "results": models,
                "worker": "answering" if live else "not answering",
            }
        )

    @staticmethod
    def _worker_status() -> dict:
        # One answer per pool: each reports the models it has loaded (the CPU pool never has
        # the chat model); a pool that does not answer leaves its models "not loaded".
        pending = [status_task.apply_async(queue=q) for q in routing.served_queues()]
        found: dict = {}
        deadline = time.monotonic() + 3
        for result in pending:
            try:
                data = result.get(timeout=max(0.1, deadline - time.monotonic()))
            except Exception:  # no worker on that queue: the specs are still worth showing
                continue
            for entry in data["models"]:
                if entry.get("loaded") or entry["name"] not in found:
                    found[entry["name"]] = entry
        return found
