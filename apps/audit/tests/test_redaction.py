"""Personal data in an event's ``details`` and ``resource_id`` is masked on write: the raw row
(read with SQL, as a database administrator or a backup would) holds none of it, and the
chain still verifies."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from apps.audit.models import AuditEvent
from apps.audit.redaction import REDACTED, is_personal_key, mask_details
from apps.audit.services import audit_checkpoint_create, audit_event_record, audited
from apps.audit.verification import audit_chains_verify
from apps.core.context import Actor
from knowledge import services as knowledge
from tests.raw_sql import raw_text

pytestmark = pytest.mark.django_db

EMAIL = "marta.lopez@example.com"
PHONE = "+44 20 7946 0958"


def _raw_columns(event_id, *columns: str) -> str:
    """The stored text of ``columns`` of one event, read with plain SQL."""
    return " ".join(str(raw_text(AuditEvent, column, event_id)) for column in columns)


def _raw_row(event_id) -> str:
    return _raw_columns(event_id, "details", "resource_id")


def test_a_graph_upsert_keeping_an_email_as_key_stores_no_email(tenant):
    graph = knowledge.graph_create_audited(tenant=tenant, name="customers")
    knowledge.graph_upsert_audited(
        tenant=tenant,
        graph=graph,
        nodes=[{"key": EMAIL, "type": "customer"}, {"key": "plain-key", "type": "thing"}],
    )
    event = AuditEvent.objects.get(tenant=tenant, action="knowledge.graph.upsert")
    raw = _raw_row(event.pk)
    assert EMAIL not in raw and "marta" not in raw.lower()
    assert "plain-key" in raw  # what holds nothing personal is kept as it was
    assert event.details["keys_total"] == 2


def test_keys_named_like_personal_data_are_redacted_in_any_case(tenant):
    event = audit_event_record(
        tenant=tenant,
        action="test.personal",
        resource_id=EMAIL,
        details={
            "Email": "someone",
            "PHONE": "12",
            "Full-Name": "x",
            "nested": {"date of birth": "1990-01-02", "note": f"call {PHONE}"},
            "count": 3,
            "id": "0f8fad5b-d9cb-469f-a165-70867728950e",
        },
    )
    raw = _raw_row(event.pk)
    for secret in ("someone", "1990-01-02", PHONE, EMAIL):
        assert secret not in raw, secret
    stored = AuditEvent.objects.get(pk=event.pk)
    assert stored.details["Email"] == stored.details["PHONE"] == REDACTED
    assert stored.details["nested"]["date of birth"] == REDACTED
    assert stored.details["count"] == 3
    assert stored.details["id"] == "0f8fad5b-d9cb-469f-a165-70867728950e"
    assert audit_chains_verify(tenant=tenant, store=None).ok


def test_lowercase_names_are_masked_too():
    masked = mask_details({"comment": "spoke with marta lopez today"})
    assert "marta" not in masked["comment"].lower()
    assert is_personal_key("E-Mail") and is_personal_key(" Last Name ")
    assert not is_personal_key("name_of_model")


def test_an_audited_write_stores_names_phones_and_emails_masked(settings, tmp_path, tenant):
    settings.AUDIT_ANCHOR_URL = f"file://{tmp_path / 'anchors'}"
    key_holder = Actor("api_key", id="k-1", label=f"{EMAIL} laptop (pk_abc123)", role="admin")
    with audited(
        tenant=tenant,
        action="test.audited.personal",
        resource_type="test.thing",
        details={"note": f"Maria Gonzalez asked to be called on {PHONE}", "contact": EMAIL},
        actor=key_holder,
    ) as event:
        event.resource_id = "thing-1"
    stored = AuditEvent.objects.get(tenant=tenant, action="test.audited.personal")
    raw = _raw_columns(stored.pk, "details", "actor_label")
    for secret in ("Maria", "Gonzalez", PHONE, "7946", EMAIL):
        assert secret not in raw, secret
    assert "laptop" in stored.actor_label and "pk_abc123" in stored.actor_label
    audit_checkpoint_create(tenant=tenant)
    out = StringIO()
    call_command("audit_verify", stdout=out, stderr=StringIO())
    assert out.getvalue().startswith("OK:")


def test_an_api_key_label_masks_its_name_and_keeps_its_prefix_without_presidio(tenant, monkeypatch):
    """A key's label is "<name> (<prefix>)": the name may name a person; the random prefix
    never does, and handed to the masker it passed the pre-check as a passport-like token
    (Presidio and its models loaded on each web process's first audited call of a key)."""
    from apps.audit.services import events

    seen = []
    real = events.mask_text
    monkeypatch.setattr(events, "mask_text", lambda text: seen.append(text) or real(text))
    holder = Actor("api_key", id="k-2", label=f"{EMAIL} laptop (a1b2c3d4)", role="admin")
    event = audit_event_record(tenant=tenant, action="test.key.label", actor=holder)
    assert event.actor_label.endswith(" laptop (a1b2c3d4)") and EMAIL not in event.actor_label
    assert not any("a1b2c3d4" in text for text in seen), seen
