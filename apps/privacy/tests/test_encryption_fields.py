"""The last fields holding personal data in clear are encrypted at rest: conversation and turn
slots, rating comments, review corrections and a credit decision's inputs. The raw columns
(read with SQL) hold ciphertext only, the API answers exactly as before, rows stored in clear
are encrypted in place (the migrations' helper) and key rotation keeps them readable."""

from __future__ import annotations

import json
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from apps.customer_service.models import Conversation, Rating, ReviewItem, Turn
from apps.customer_service.services import rating_create, review_approve
from apps.customer_service.tests import factories as cs
from apps.financial_risk.models import Decision
from apps.financial_risk.services.monitoring import recent_inputs
from apps.financial_risk.tests import factories as risk
from apps.privacy.migration_ops import encrypt_existing_rows

pytestmark = pytest.mark.django_db
EMAIL = "field.owner@example.net"


def _raw(model, column: str, pk) -> str:
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {column}::text FROM {model._meta.db_table} WHERE id = %s", [str(pk)]
        )
        return cursor.fetchone()[0]


def _customer_rows(tenant):
    conversation = cs.conversation(tenant)
    conversation.slots = {"email": EMAIL, "order_number": "100234"}
    conversation.save(update_fields=["slots"])
    reply = cs.turn(tenant)
    reply.slots = {"email": EMAIL}
    reply.save(update_fields=["slots"])
    rating = rating_create(tenant=tenant, turn=reply, score=1, comment="parcel left at gate 7")
    item = ReviewItem.objects.get(turn=reply)
    review_approve(tenant=tenant, item=item, kind="faq", correction=f"Write to {EMAIL}.")
    return conversation, reply, rating, item


def test_raw_columns_hold_ciphertext_and_the_api_answers_as_before(tenant, admin_client_for):
    conversation, reply, rating, item = _customer_rows(tenant)
    decision = risk.decision(tenant)
    stored = [
        (Conversation, "slots", conversation.pk),
        (Turn, "slots", reply.pk),
        (Rating, "comment", rating.pk),
        (ReviewItem, "correction", item.pk),
        (Decision, "inputs", decision.pk),
    ]
    for model, column, pk in stored:
        raw = _raw(model, column, pk)
        assert f"pv1:{tenant.pk}:" in raw, (model, column)
        for plain in (EMAIL, "100234", "gate", "income", "east"):
            assert plain not in raw, (model, column, plain)

    assert Conversation.objects.get(pk=conversation.pk).slots["email"] == EMAIL
    assert Rating.objects.get(pk=rating.pk).comment == "parcel left at gate 7"
    assert ReviewItem.objects.get(pk=item.pk).correction == f"Write to {EMAIL}."
    answer = admin_client_for.get(f"/api/v1/risk/decisions/{decision.pk}/")
    assert answer.status_code == 200, answer.content
    assert answer.json()["inputs"] == risk.tiny_applicant()
    answer = admin_client_for.get(f"/api/v1/customer-service/conversations/{conversation.pk}/")
    assert answer.status_code == 200, answer.content
    # Drift monitoring reads the inputs back through the ORM (values_list): decrypted.
    since = timezone.now() - timedelta(days=1)
    assert recent_inputs(decision.model, since) == [risk.tiny_applicant()]


def test_rows_stored_in_clear_are_encrypted_in_place_once(tenant):
    conversation = cs.conversation(tenant)
    decision = risk.decision(tenant)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {Conversation._meta.db_table} SET slots = %s WHERE id = %s",
            [json.dumps({"email": EMAIL}), str(conversation.pk)],
        )
        cursor.execute(
            f"UPDATE {Decision._meta.db_table} SET inputs = %s WHERE id = %s",
            ['{"income": 1.5}', str(decision.pk)],
        )
    assert EMAIL in _raw(Conversation, "slots", conversation.pk)
    assert Conversation.objects.get(pk=conversation.pk).slots == {"email": EMAIL}  # clear reads
    assert encrypt_existing_rows(Conversation, "slots") >= 1
    assert encrypt_existing_rows(Decision, "inputs") >= 1
    assert EMAIL not in _raw(Conversation, "slots", conversation.pk)
    assert "income" not in _raw(Decision, "inputs", decision.pk)
    assert Conversation.objects.get(pk=conversation.pk).slots == {"email": EMAIL}
    assert Decision.objects.get(pk=decision.pk).inputs == {"income": 1.5}
    # Already encrypted under the current key: nothing to do, nothing encrypted twice.
    assert encrypt_existing_rows(Conversation, "slots") == 0


def test_key_rotation_reencrypts_the_json_fields(tenant):
    conversation, *_ = _customer_rows(tenant)
    decision = risk.decision(tenant)
    call_command("privacy_rotate_keys", stdout=StringIO())
    assert f"pv1:{tenant.pk}:2:" in _raw(Conversation, "slots", conversation.pk)
    assert f"pv1:{tenant.pk}:2:" in _raw(Decision, "inputs", decision.pk)
    assert Conversation.objects.get(pk=conversation.pk).slots["email"] == EMAIL
    assert Decision.objects.get(pk=decision.pk).inputs == risk.tiny_applicant()
