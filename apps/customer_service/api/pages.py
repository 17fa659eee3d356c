"""The web pages of the customer-service vertical, for logged-in admins and agents of a tenant:
the chat page (``/customer-service/chat/``: talk to the tenant's assistant; replies stream over
server-sent events from the REST API, citations link to the document page), a document page
(``/customer-service/documents/<id>/``: its chunks with anchors) and the agent view
(``/customer-service/agent/``: the live queue of handoffs, pushed by server-sent events from
``agent/queue/stream/``, with each conversation's transcript, intent, slots and sources). Plain
JavaScript served from our static files (no CDN)."""

from __future__ import annotations

import json
import time

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.serializers.json import DjangoJSONEncoder
from django.http import Http404, StreamingHttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.csrf import ensure_csrf_cookie

from apps.accounts.roles import Role
from apps.accounts.selectors import tenants_of
from apps.customer_service import selectors
from apps.customer_service.models import Document
from apps.customer_service.services.assistant_texts import assistant_settings

CHAT_ROLES = {Role.ADMIN, Role.AGENT}


def _tenant(request):
    tenants = tenants_of(request.user, CHAT_ROLES).order_by("slug")
    wanted = request.GET.get("tenant")
    tenant = tenants.filter(slug=wanted).first() if wanted else tenants.first()
    if tenant is None:  # no customer-service role anywhere, or another tenant named
        raise Http404("No customer-service tenant of yours.")
    return tenants, tenant


@login_required
@ensure_csrf_cookie
def chat(request):
    tenants, tenant = _tenant(request)
    return render(
        request,
        "customer_service/chat.html",
        {
            "tenant": tenant,
            "tenants": tenants,
            "brand": assistant_settings(tenant).brand_name,
            "api_url": "/api/v1/customer-service/",
        },
    )


@login_required
def document_page(request, document_id):
    """One help-centre document's current chunks (a citation links to ``#chunk-<seq>``); a
    document of a tenant the user has no role in is not found."""
    tenants = tenants_of(request.user, CHAT_ROLES)
    document = get_object_or_404(Document, pk=document_id, tenant__in=tenants)
    return render(
        request,
        "customer_service/document.html",
        {"document": document, "chunks": document.chunks.order_by("seq")},
    )


@login_required
@ensure_csrf_cookie
def agent(request):
    tenants, tenant = _tenant(request)
    return render(
        request,
        "customer_service/agent.html",
        {
            "tenant": tenant,
            "tenants": tenants,
            "queue": selectors.handoff_queue_detail(tenant=tenant),
            "api_url": "/api/v1/customer-service/",
        },
    )


@login_required
def agent_queue_stream(request):
    """Server-sent events: ``queue`` with the open handoffs whenever they change (checked every
    second), a comment line as keep-alive; the stream ends after
    ``CUSTOMER_SERVICE_QUEUE_STREAM_S`` seconds and the browser's EventSource reconnects."""
    _, tenant = _tenant(request)
    lifetime = getattr(settings, "CUSTOMER_SERVICE_QUEUE_STREAM_S", 55)

    def events():
        last, started = None, time.monotonic()
        yield "retry: 1000\n\n"
        while time.monotonic() - started < lifetime:
            queue = json.dumps(selectors.handoff_queue_detail(tenant=tenant), cls=DjangoJSONEncoder)
            if queue != last:
                last = queue
                yield f"event: queue\ndata: {queue}\n\n"
            else:
                yield ": keep-alive\n\n"
            time.sleep(1)

    response = StreamingHttpResponse(events(), content_type="text/event-stream")
    response["Cache-Control"] = "no-cache"
    response["X-Accel-Buffering"] = "no"
    return response
