"""Personal data in an event's ``details`` and ``resource_id`` is masked on write: the raw row
(read with SQL, as a database administrator or a backup would) holds none of it, and the
chain still verifies."""

from __future__ import annotations

import pytest
from django.db import connection

from apps.audit.models import AuditEvent
from apps.audit.redaction import REDACTED, is_personal_key, mask_details
from apps.audit.services import audit_event_record
from apps.audit.verification import audit_chains_verify
from knowledge import services as knowledge

pytestmark = pytest.mark.django_db

EMAIL = "marta.lopez@example.com"
PHONE = "+44 20 7946 0958"


def _raw_row(event_id) -> str:
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT details::text, resource_id FROM {AuditEvent._meta.db_table} WHERE id = %s",
            [event_id],
        )
        details, resource_id = cursor.fetchone()
    return f"{details} {resource_id}"


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
