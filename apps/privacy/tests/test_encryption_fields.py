"""The last fields holding personal data in clear are encrypted at rest: conversation and turn
slots, rating comments, review corrections and a credit decision's inputs. The raw columns
(read with SQL) hold ciphertext only, the API answers exactly as before, rows stored in clear
are encrypted in place (the migrations' helper) and key rotation keeps them readable."""

from __future__ import annotations

import gzip
import json
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from apps.customer_service.models import Conversation, Rating, ReviewItem, Turn
from apps.customer_service.services import rating_create, review_approve
from apps.customer_service.tests import factories as cs
from apps.financial_risk.models import Decision, Transaction, TransactionImport
from apps.financial_risk.services.fraud_imports import transaction_import_run
from apps.financial_risk.services.monitoring import recent_inputs
from apps.financial_risk.tests import factories as risk
from apps.privacy.migration_ops import encrypt_existing_rows
from tests.raw_sql import raw_bytes, raw_text, raw_update

pytestmark = pytest.mark.django_db
EMAIL = "field.owner@example.net"


def _raw(model, column: str, pk) -> str:
    return raw_text(model, column, pk)


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
    raw_update(Conversation, "slots", conversation.pk, json.dumps({"email": EMAIL}))
    raw_update(Decision, "inputs", decision.pk, '{"income": 1.5}')
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


def _raw_bytes(model, column: str, pk) -> bytes:
    return raw_bytes(model, column, pk)


def test_a_staged_transaction_import_is_ciphertext_and_survives_rotation(tenant):
    imported = risk.transaction_import(tenant)  # staged for its job (not run yet)
    raw = _raw_bytes(TransactionImport, "data", imported.pk)
    assert raw.startswith(f"pv1:{tenant.pk}:1:".encode())
    assert not raw.startswith(b"\x1f\x8b") and b"acct-imp-1" not in raw  # not a gzip file
    call_command("privacy_rotate_keys", stdout=StringIO())
    assert _raw_bytes(TransactionImport, "data", imported.pk).startswith(
        f"pv1:{tenant.pk}:2:".encode()
    )
    # The job reads the staged rows back through the field, decrypted, and stores them.
    staged = TransactionImport.objects.get(pk=imported.pk)
    result = transaction_import_run(imported=staged, progress=lambda *args: None)
    assert result["state"] == "stored"
    assert Transaction.objects.filter(tenant=tenant, account__external_id="acct-imp-1").exists()
    assert _raw_bytes(TransactionImport, "data", imported.pk) == b""  # emptied when done


def test_imports_staged_in_clear_are_encrypted_and_empty_files_left_alone(tenant):
    staged, finished = risk.transaction_import(tenant), risk.transaction_import(tenant)
    clear = gzip.compress(b'["line","account"]\n[2,"acct-clear-9"]\n')
    # As the rows were before the migration:
    raw_update(TransactionImport, "data", staged.pk, clear)
    raw_update(TransactionImport, "data", finished.pk, b"")
    assert encrypt_existing_rows(TransactionImport, "data") == 1  # the empty one is untouched
    assert _raw_bytes(TransactionImport, "data", staged.pk).startswith(b"pv1:")
    assert _raw_bytes(TransactionImport, "data", finished.pk) == b""
    assert bytes(TransactionImport.objects.get(pk=staged.pk).data) == clear
