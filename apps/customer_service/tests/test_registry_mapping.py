"""Intent models on the shared model registry, and intents written through a service.

``golden/intent_api.json`` holds the responses recorded on the code before the registry
(commit 5d4ed00) for the scenario below: intents created, renamed and refused over the API,
two trainings (the second activates its version and retires the first), the model list and
each version. Ids and clocks are fixed so the bodies compare byte for byte; the classifier
fit is replaced by a fixed one (what is compared is the registry, not the embeddings).
``REGISTRY_GOLDEN_RECORD=1`` rewrites the file.
"""

from __future__ import annotations

import itertools
import json
import os
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
import time_machine

from apps.audit.models import AuditEvent
from apps.customer_service import services
from apps.customer_service.models import Intent, IntentModel
from apps.customer_service.services import training
from apps.customer_service.services.understanding import active_model
from apps.registry.gates import ALL_KINDS, promotion_gate_register, promotion_gate_unregister
from apps.registry.models import ModelState
from apps.registry.services import PromotionRefused

pytestmark = pytest.mark.django_db

GOLDEN = Path(__file__).parent / "golden" / "intent_api.json"
BASE = "/api/v1/customer-service"


class _Fitted:
    def __init__(self, state):
        self.state = state

    def to_state(self):
        return self.state


def _fixed_fit(**kwargs):
    return {
        "intents": _Fitted({"labels": ["order_status", "refund"]}),
        "sentiment": _Fitted({"labels": ["negative", "positive"]}),
        "report": {"accuracy": 0.75, "labels": ["order_status", "refund"]},
        "embedding_model": "embedding@fixed",
    }


def _fixed_ids(monkeypatch, model, prefix: int):
    numbers = itertools.count(1)
    field = model._meta.get_field("id")
    monkeypatch.setattr(field, "_get_default", lambda: uuid.UUID(int=prefix << 64 | next(numbers)))


def _scenario(tenant, client) -> list[dict]:
    exchanges = []

    def call(method, path, body=None):
        with time_machine.travel(datetime(2026, 1, 3, tzinfo=UTC), tick=False):
            response = getattr(client, method)(
                path, body, format="json", HTTP_X_REQUEST_ID=f"golden-{len(exchanges)}"
            )
        exchanges.append(
            {
                "request": f"{method.upper()} {path} {json.dumps(body)}",
                "status": response.status_code,
                "body": response.content.decode(),
            }
        )
        return response

    call("post", f"{BASE}/intents/", {"name": "refund", "description": "Money back"})
    call("post", f"{BASE}/intents/", {"name": "order_status", "required_slots": ["order_number"]})
    call("post", f"{BASE}/intents/", {"name": "refund"})
    refund = Intent.objects.get(tenant=tenant, name="refund")
    call("patch", f"{BASE}/intents/{refund.pk}/", {"description": "Refunds and returns"})
    call("patch", f"{BASE}/intents/{refund.pk}/", {"name": "order_status"})
    call("put", f"{BASE}/intents/{refund.pk}/", {"name": "refunds", "required_slots": []})
    call("get", f"{BASE}/intents/")
    _scenario_examples(tenant)
    with time_machine.travel(datetime(2026, 1, 4, tzinfo=UTC), tick=False):
        first = services.intent_model_train(tenant=tenant)
    call("get", f"{BASE}/models/")
    with time_machine.travel(datetime(2026, 1, 5, tzinfo=UTC), tick=False):
        second = services.intent_model_train(tenant=tenant, threshold=0.5)
    call("get", f"{BASE}/models/")
    call("get", f"{BASE}/models/{first.pk}/")
    call("get", f"{BASE}/models/{second.pk}/")
    return exchanges


def _scenario_examples(tenant) -> None:
    for name in ("refunds", "order_status"):
        intent = services.intent_ensure(tenant=tenant, name=name)
        for n in range(2):
            services.example_add(tenant=tenant, intent=intent, text=f"{intent.name} {n}")


def _parsed(exchange: dict) -> dict:
    try:
        return {**exchange, "body": json.loads(exchange["body"])}
    except ValueError:
        return exchange


@pytest.fixture
def fixed(monkeypatch):
    monkeypatch.setattr(training, "fit_and_evaluate", _fixed_fit)
    _fixed_ids(monkeypatch, Intent, prefix=1)
    _fixed_ids(monkeypatch, IntentModel, prefix=2)


def test_intent_api_answers_as_before_the_registry(tenant, make_api_client, fixed):
    exchanges = _scenario(tenant, make_api_client(tenant, "admin"))
    if os.environ.get("REGISTRY_GOLDEN_RECORD") == "1":
        GOLDEN.parent.mkdir(exist_ok=True)
        GOLDEN.write_text(json.dumps({"exchanges": exchanges}, indent=1) + "\n")
    golden = json.loads(GOLDEN.read_text())
    for recorded, now in zip(golden["exchanges"], exchanges, strict=True):
        # Bodies compare as JSON: PostgreSQL's jsonb and SQLite keep an object's keys in
        # different orders, which no client can rely on.
        assert _parsed(now) == _parsed(recorded), now["request"]


def test_training_registers_a_champion_and_retires_the_one_before(tenant, fixed):
    _scenario_examples(tenant)
    first = services.intent_model_train(tenant=tenant)
    second = services.intent_model_train(tenant=tenant)
    first.refresh_from_db()
    assert (first.state, second.state) == (ModelState.RETIRED, ModelState.CHAMPION)
    assert (first.active, second.active) == (False, True)
    assert second.promoted_at is not None
    assert active_model(tenant).pk == second.pk
    events = AuditEvent.objects.filter(
        tenant=tenant, action="customer_service.intent_model.train"
    ).order_by("seq")
    assert [(e.model_name, e.model_revision, e.resource_id) for e in events] == [
        ("intents", "v1", str(first.pk)),
        ("intents", "v2", str(second.pk)),
    ]


def test_intent_writes_go_through_an_audited_service(tenant, make_api_client):
    client = make_api_client(tenant, "agent")
    created = client.post(f"{BASE}/intents/", {"name": "refund"}, format="json")
    intent_id = created.json()["id"]
    changed = client.patch(f"{BASE}/intents/{intent_id}/", {"description": "x"}, format="json")
    assert (created.status_code, changed.status_code) == (201, 200)
    taken = client.post(f"{BASE}/intents/", {"name": "refund"}, format="json")
    assert taken.status_code == 400
    events = AuditEvent.objects.filter(
        tenant=tenant, action__startswith="customer_service.intent."
    ).order_by("seq")
    assert [(e.action, e.resource_id, e.details.get("fields")) for e in events] == [
        ("customer_service.intent.create", intent_id, None),
        ("customer_service.intent.update", intent_id, ["description"]),
    ]
    intent = Intent.objects.get(pk=intent_id)
    with pytest.raises(services.TrainingDataError):
        services.intent_update(tenant=tenant, intent=intent, changes={"tenant": None})


def test_gates_for_every_kind_hold_back_a_trained_intent_model(tenant, fixed):
    def second_person(request):
        return ["a second person must approve"]

    _scenario_examples(tenant)
    first = services.intent_model_train(tenant=tenant)
    promotion_gate_register(ALL_KINDS, second_person)
    try:
        with pytest.raises(PromotionRefused, match="second person"):
            services.intent_model_train(tenant=tenant)
    finally:
        promotion_gate_unregister(ALL_KINDS, second_person)
    assert list(IntentModel.objects.filter(tenant=tenant)) == [first]
    assert active_model(tenant).pk == first.pk
