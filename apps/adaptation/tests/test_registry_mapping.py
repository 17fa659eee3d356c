"""Adapters on the shared model registry: the API answers exactly as it did before the
registry (a promoted adapter is a champion underneath and still ``promoted`` on the wire), and
the audit trail keeps its actions.

``golden/adapter_api.json`` holds the responses recorded on the code before the registry
(commit 5d4ed00) for the scenario below: list, filter, retrieve, promote, a refused promotion
(no improvement, already promoted), a displacing promotion and retire. Ids and clocks are
fixed so the bodies compare byte for byte. ``REGISTRY_GOLDEN_RECORD=1`` rewrites the file.
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

from apps.adaptation.models import AdapterVersion
from apps.audit.models import AuditEvent
from apps.registry.gates import ALL_KINDS, promotion_gate_register, promotion_gate_unregister
from apps.registry.models import ModelState

from .factories import WORSE, adapter_version

pytestmark = pytest.mark.django_db

GOLDEN = Path(__file__).parent / "golden" / "adapter_api.json"
ADAPTERS = "/api/v1/adaptation/adapters/"
FILES = {"adapter_config.json": b'{"r": 4}', "adapter_model.safetensors": b"weights"}


def _fixed_ids(monkeypatch, model, prefix: int):
    numbers = itertools.count(1)
    field = model._meta.get_field("id")
    monkeypatch.setattr(field, "_get_default", lambda: uuid.UUID(int=prefix << 64 | next(numbers)))


def _scenario(tenant, client) -> tuple[list[dict], list[list[str]]]:
    clock = time_machine.travel(datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC), tick=False)
    with clock:
        first = adapter_version(tenant, files=FILES)
        second = adapter_version(tenant, files=FILES)
        worse = adapter_version(tenant, name="other", files=FILES, evaluation=WORSE)
    exchanges = []

    def call(method, path):
        with time_machine.travel(datetime(2026, 1, 3, tzinfo=UTC), tick=False):
            response = getattr(client, method)(path, HTTP_X_REQUEST_ID=f"golden-{len(exchanges)}")
        exchanges.append(
            {
                "request": f"{method.upper()} {path}",
                "status": response.status_code,
                "body": response.content.decode(),
            }
        )

    call("get", ADAPTERS)
    call("get", f"{ADAPTERS}{first.pk}/")
    call("post", f"{ADAPTERS}{worse.pk}/promote/")
    call("post", f"{ADAPTERS}{first.pk}/promote/")
    call("get", f"{ADAPTERS}?state=promoted")
    call("post", f"{ADAPTERS}{first.pk}/promote/")
    call("post", f"{ADAPTERS}{second.pk}/promote/")
    call("get", f"{ADAPTERS}?state=retired")
    call("get", f"{ADAPTERS}?state=draft")
    call("post", f"{ADAPTERS}{second.pk}/retire/")
    call("post", f"{ADAPTERS}{second.pk}/retire/")
    call("post", f"{ADAPTERS}{second.pk}/promote/")
    call("get", f"{ADAPTERS}{second.pk}/")
    call("get", ADAPTERS)
    trail = [
        [event.action, event.outcome, event.resource_id]
        for event in AuditEvent.objects.filter(
            tenant=tenant, action__startswith="adaptation.adapter."
        ).order_by("seq")
    ]
    return exchanges, trail


def _parsed(exchange: dict) -> dict:
    """The body as JSON where it is JSON: the order of an object's keys is not part of the
    answer (PostgreSQL's jsonb sorts a stored object's keys, SQLite keeps them as written)."""
    try:
        return {**exchange, "body": json.loads(exchange["body"])}
    except ValueError:
        return exchange


def test_adapter_api_answers_as_before_the_registry(tenant, make_api_client, monkeypatch):
    _fixed_ids(monkeypatch, AdapterVersion, prefix=7)
    exchanges, trail = _scenario(tenant, make_api_client(tenant, "admin"))
    if os.environ.get("REGISTRY_GOLDEN_RECORD") == "1":
        GOLDEN.parent.mkdir(exist_ok=True)
        GOLDEN.write_text(json.dumps({"exchanges": exchanges, "audit": trail}, indent=1) + "\n")
    golden = json.loads(GOLDEN.read_text())
    for recorded, now in zip(golden["exchanges"], exchanges, strict=True):
        assert _parsed(now) == _parsed(recorded), now["request"]
    assert trail == golden["audit"]


def _second_person(request):
    return [] if request.context.get("approved") else ["a second person must approve"]


def test_gates_for_every_kind_refuse_adapter_promotions_too(tenant, make_api_client):
    promotion_gate_register(ALL_KINDS, _second_person)
    try:
        adapter = adapter_version(tenant)
        refused = make_api_client(tenant, "admin").post(f"{ADAPTERS}{adapter.pk}/promote/")
    finally:
        promotion_gate_unregister(ALL_KINDS, _second_person)
    assert refused.status_code == 400
    assert refused.json()["errors"]["state"] == ["a second person must approve"]
    adapter.refresh_from_db()
    assert adapter.state == ModelState.DRAFT
