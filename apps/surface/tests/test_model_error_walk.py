"""Every endpoint that calls a model answers 503/504 in the one error format when no inference
worker answers (issue 17, "Errors"), never 500, and stores nothing half-done.

The endpoints come from their views' declarations (``model_actions``, on the base of every API
view, apps.surface.viewsets.ThrottleFirstMixin); the table below holds one request for each, and
a test fails when a declared action has no request here (or a request names an undeclared one).
The walk is real: this process publishes to Redis (tests.workers.real_broker) and no worker
consumes the inference queues, so each call waits out INFERENCE_TIMEOUT_S as in production when
the worker pool is down.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.apps import apps as django_apps
from django.db.models import F

from apps.accounts.roles import Role
from apps.customer_service import models as cs
from apps.customer_service.services import conversation_start
from apps.medical_records.tests.factories import note as make_note
from apps.registry.models import ModelState
from config.celery import INFERENCE_QUEUES
from config.celery import app as celery_app
from knowledge.models import Node
from knowledge.services import graph_create, graph_upsert
from tests.routes import api_routes
from tests.workers import real_broker

NOTE_TEXT = "Cough for three days. Possible pneumonia. Denies chest pain."
HL7 = (
    "MSH|^~\\&|LAB|HOSP|MR|PLAT|20240315120000||ORU^R01^ORU_R01|MSG0002|P|2.5\n"
    "PID|1||7710045^^^HOSP^MR||Kline^Deborah\n"
    "OBR|1||ORD1|11506-3^Progress note^LN\n"
    "OBX|1|TX|11506-3^Progress note^LN||Cough since Sunday. No rash.||||||F\n"
)
FHIR = {
    "resourceType": "DocumentReference",
    "status": "current",
    "content": [
        {"attachment": {"contentType": "text/plain", "data": "Q291Z2ggZm9yIHRocmVlIGRheXMu"}}
    ],
}
NOTES = ("medical_records.note", "medical_records.extraction", "medical_records.finding")
TURNS = ("customer_service.turn", "customer_service.handoff")


@dataclass(frozen=True)
class Call:
    view: str  # module.Class
    action: str  # the declared action (a plain API view: the HTTP method)
    path: str  # with {note}, {conversation}, {graph} filled in from the fixtures
    role: str
    body: dict | Callable | None
    stored: tuple[str, ...] = ()  # model labels that must not gain a row
    fmt: str = "json"


def _upload() -> dict:
    buffer = io.BytesIO(NOTE_TEXT.encode())
    buffer.name = "note.txt"
    return {"file": buffer}


NOTE_VIEW = "apps.medical_records.api.views.NoteViewSet"
CALLS = [
    Call(NOTE_VIEW, "create", "/api/v1/medical/notes/", Role.CLINICIAN, {"text": NOTE_TEXT}, NOTES),
    Call(
        NOTE_VIEW,
        "structure_fhir",
        "/api/v1/medical/notes/fhir/",
        Role.CLINICIAN,
        {"text": NOTE_TEXT},
        NOTES,
    ),
    Call(
        NOTE_VIEW,
        "upload",
        "/api/v1/medical/notes/upload/",
        Role.CLINICIAN,
        _upload,
        NOTES,
        fmt="multipart",
    ),
    Call(
        NOTE_VIEW,
        "ingest_hl7",
        "/api/v1/medical/notes/hl7/",
        Role.CLINICIAN,
        {"message": HL7},
        NOTES,
    ),
    Call(
        NOTE_VIEW,
        "ingest_fhir_document",
        "/api/v1/medical/notes/fhir-document/",
        Role.CLINICIAN,
        FHIR,
        NOTES,
    ),
    Call(
        NOTE_VIEW, "summary", "/api/v1/medical/notes/{note}/summary/", Role.CLINICIAN, None, NOTES
    ),
    Call(
        "apps.customer_service.api.conversations.ConversationViewSet",
        "messages",
        "/api/v1/customer-service/conversations/{conversation}/messages/",
        Role.AGENT,
        {"text": "Where is my order?"},
        TURNS,
    ),
    Call(
        "apps.customer_service.api.conversations.ConversationViewSet",
        "messages",
        "/api/v1/customer-service/conversations/{conversation}/messages/",
        Role.AGENT,
        {"text": "Where is my parcel?", "stream": True},
        TURNS,
    ),
    Call(
        "apps.customer_service.api.views.IntentModelViewSet",
        "predict",
        "/api/v1/customer-service/models/predict/",
        Role.AGENT,
        {"text": "I want a refund"},
    ),
    Call(
        "knowledge.api.views.GraphViewSet",
        "search",
        "/api/v1/knowledge/graphs/{graph}/search/",
        Role.ADMIN,
        {"query": "waterproof tent"},
    ),
    Call(
        "knowledge.api.views.GraphViewSet",
        "link",
        "/api/v1/knowledge/graphs/{graph}/link/",
        Role.ADMIN,
        {"text": "something for rainy nights", "methods": ["embedding"]},
    ),
    Call(
        "models_runtime.api.views.EmbedView",
        "post",
        "/api/v1/inference/embed",
        Role.ADMIN,
        {"texts": ["hello"]},
        ("models_runtime.modelusage",),
    ),
    Call(
        "models_runtime.api.views.ChatView",
        "post",
        "/api/v1/inference/chat",
        Role.ADMIN,
        {"messages": [{"role": "user", "content": "hello"}], "cache": False},
        ("models_runtime.modelusage",),
    ),
    Call(
        "models_runtime.api.views.ChatView",
        "post",
        "/api/v1/inference/chat",
        Role.ADMIN,
        {"messages": [{"role": "user", "content": "hi"}], "stream": True, "cache": False},
        ("models_runtime.modelusage",),
    ),
]


def _declared() -> set[tuple[str, str]]:
    declared = set()
    for route in api_routes():
        view = route.view_class
        name = f"{view.__module__}.{view.__name__}"
        actions = set(route.actions.values()) or {m.lower() for m in route.methods}
        declared |= {(name, action) for action in actions & set(view.model_actions)}
    return declared


def test_the_walk_covers_every_declared_model_action():
    declared = _declared()
    called = {(call.view, call.action) for call in CALLS}
    assert declared, "no view declares model_actions"
    assert not declared - called, f"add a request to CALLS for {sorted(declared - called)}"
    assert not called - declared, f"declare model_actions for {sorted(called - declared)}"


def _intent_model(tenant):
    """A champion intent model as training stores it (zero weights over 384 dimensions): the
    request gets as far as the embedding call."""
    state = {"classes": ["refund", "shipping"], "coef": [[0.0] * 384] * 2, "intercept": [0, 0]}
    return cs.IntentModel.objects.create(
        tenant=tenant,
        version=1,
        state=ModelState.CHAMPION,
        classifier={**state, "chars": False},
        sentiment={**state, "classes": ["negative", "positive"], "chars": False},
        report={"accuracy": 1.0},
        example_count=2,
    )


def _graph(tenant):
    graph = graph_create(tenant=tenant, name="shop", domain="general")
    graph_upsert(
        graph=graph,
        nodes=[
            {"key": "tent", "type": "product", "label": "Waterproof tent"},
            {"key": "stove", "type": "product", "label": "Camping stove"},
        ],
    )
    Node.objects.filter(graph=graph).update(
        embedding=[1.0] + [0.0] * 383, embedding_hash=F("text_hash"), embedding_model="embed"
    )
    return graph


def _counts(labels) -> dict[str, int]:
    return {label: django_apps.get_model(label).objects.count() for label in labels}


@pytest.mark.redis
@pytest.mark.django_db
def test_every_model_endpoint_answers_503_or_504_with_no_worker(tenant, make_api_client, settings):
    settings.INFERENCE_TIMEOUT_S = 0.5
    fill = {
        # Structured in this process before the walk (another text than the walk's: the result
        # cache would answer the walk's NER calls).
        "note": make_note(tenant, "Fever since Monday. Denies cough.").pk,
        "conversation": conversation_start(tenant=tenant).pk,
        "graph": _graph(tenant).public_id,
    }
    _intent_model(tenant)
    clients = {}
    answers = {}
    with real_broker(celery_app):  # a broker, and no inference worker listening
        try:
            for call in CALLS:
                if call.role not in clients:
                    clients[call.role] = make_api_client(tenant, call.role)
                before = _counts(call.stored)
                body = call.body() if callable(call.body) else call.body
                response = clients[call.role].post(call.path.format(**fill), body, format=call.fmt)
                content = b"".join(response.streaming_content) if response.streaming else b""
                answers[f"{call.action} {call.path}"] = (response, content)
                assert _counts(call.stored) == before, call
        finally:
            celery_app.control.purge()
            with celery_app.connection_for_write() as connection:
                for queue in INFERENCE_QUEUES:
                    connection.default_channel.queue_purge(queue)
    wrong = {
        name: (response.status_code, response.get("Content-Type"), content[:200])
        for name, (response, content) in answers.items()
        if response.status_code not in (503, 504)
        or response["Content-Type"] != "application/problem+json"
    }
    assert not wrong, wrong
    for response, _ in answers.values():
        body = response.json()
        assert body["status"] == response.status_code
        assert body["type"].rsplit("/", 1)[-1] in ("model_timeout", "model_unavailable"), body
        assert response["Retry-After"]
