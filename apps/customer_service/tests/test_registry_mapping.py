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

from apps.customer_service import services
from apps.customer_service.models import Intent, IntentModel
from apps.customer_service.services import training

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
    for intent in Intent.objects.filter(tenant=tenant):
        for n in range(2):
            services.example_add(tenant=tenant, intent=intent, text=f"{intent.name} {n}")
    with time_machine.travel(datetime(2026, 1, 4, tzinfo=UTC), tick=False):
        first = services.intent_model_train(tenant=tenant)
    call("get", f"{BASE}/models/")
    with time_machine.travel(datetime(2026, 1, 5, tzinfo=UTC), tick=False):
        second = services.intent_model_train(tenant=tenant, threshold=0.5)
    call("get", f"{BASE}/models/")
    call("get", f"{BASE}/models/{first.pk}/")
    call("get", f"{BASE}/models/{second.pk}/")
    return exchanges


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
        assert now == recorded, now["request"]
