"""Erasure sweeps everything: after a subject's approved erasure, no table of any installed
model holds the identifier in any text, JSON or binary column (read with raw SQL, the way a
database administrator or a backup would see it). The walk is generated from the installed
models, so a model added later is searched too, without changing this test."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.apps import apps
from django.db import connection, models

from apps.accounts.roles import Role
from apps.approvals.services import approval_approve
from apps.customer_service.document_models import Chunk
from apps.customer_service.models import Conversation, ReviewItem, Turn, TurnRole
from apps.customer_service.services import documents_upload, rating_create, review_approve
from apps.customer_service.tests import factories as cs
from apps.data_lifecycle.erasure import erasure_request_create
from apps.financial_risk.models import Decision, RiskAccount, Transaction
from apps.financial_risk.services.rings import fraud_graph_build
from apps.financial_risk.tests import factories as risk
from apps.medical_records.tests import factories as medical
from apps.notifications.models import Delivery, Destination
from apps.notifications.services import notification_send
from knowledge import services as knowledge
from knowledge.models import Node

pytestmark = pytest.mark.django_db

EMAIL = "sweep.subject@example.org"
ACCOUNT = "ACC-SWEEP-55071"
PHONE = "+15550107788"
TEXT_TYPES = (models.CharField, models.TextField, models.JSONField, models.BinaryField)


def searched_columns() -> dict[str, list[str]]:
    """Every text, JSON and binary column of every installed model's table."""
    tables: dict[str, list[str]] = {}
    for model in apps.get_models(include_auto_created=True):
        if model._meta.proxy or not model._meta.managed:
            continue
        columns = [f.column for f in model._meta.concrete_fields if isinstance(f, TEXT_TYPES)]
        if columns:
            tables.setdefault(model._meta.db_table, []).extend(columns)
    return tables


def tables_holding(needle: str) -> list[str]:
    """``table.column`` for every column whose raw value contains ``needle`` (any case)."""
    quote = connection.ops.quote_name
    found = []
    with connection.cursor() as cursor:
        for table, columns in searched_columns().items():
            for column in columns:
                cursor.execute(
                    f"SELECT count(*) FROM {quote(table)} "
                    f"WHERE position(lower(%s) in lower(encode(convert_to({quote(column)}::text, "
                    "'UTF8'), 'escape'))) > 0",
                    [needle],
                )
                if cursor.fetchone()[0]:
                    found.append(f"{table}.{column}")
    return found


def _customer(tenant, reviewer):
    Destination.objects.create(tenant=tenant, kind="email", emails=["agents@shop.test"])
    conversation = cs.conversation(tenant)
    conversation.slots = {"email": EMAIL}
    conversation.save(update_fields=["slots"])
    Turn.objects.create(
        tenant=tenant, conversation=conversation, seq=1, role=TurnRole.USER, text=f"I am {EMAIL}"
    )
    reply = Turn.objects.create(
        tenant=tenant,
        conversation=conversation,
        seq=2,
        role=TurnRole.ASSISTANT,
        text="Thanks, we found your order.",
        slots={"email": EMAIL},
    )
    rating_create(tenant=tenant, turn=reply, score=1, comment=f"reach me at {EMAIL}")
    item = ReviewItem.objects.get(turn=reply)
    review_approve(
        tenant=tenant, item=item, kind="faq", correction=f"We wrote to {EMAIL}.", user=reviewer
    )
    notification_send(
        tenant=tenant,
        topic="customer_service.handoff",
        dedup_key=f"{conversation.pk}:x",
        subject="A conversation needs a person",
        body=f"From {EMAIL}",
        payload={"conversation": str(conversation.pk)},
    )
    documents_upload(
        tenant=tenant, filename="contacts.md", data=f"# Refunds\n\nAsk {EMAIL}.\n".encode()
    )
    Node.objects.filter(key__in=Chunk.objects.values("node_key")).update(embedding=[0.1, 0.2])
    graph = knowledge.graph_create_audited(tenant=tenant, name="crm")
    knowledge.graph_upsert_audited(
        tenant=tenant, graph=graph, nodes=[{"key": f"customer:{EMAIL}", "type": "customer"}]
    )
    return conversation


def _applicant(tenant):
    decision = risk.decision(tenant)
    Decision.objects.filter(pk=decision.pk).update(reference=ACCOUNT)
    account = RiskAccount.objects.create(tenant=tenant, external_id=ACCOUNT)
    Transaction.objects.create(
        tenant=tenant,
        account=account,
        amount=Decimal("9.99"),
        phone=PHONE,
        device_id="dev-sweep-1",
        occurred_at=datetime(2026, 1, 1, tzinfo=UTC),
    )
    fraud_graph_build(tenant=tenant)


def _erase(tenant, requester, approver, capture, kind, subject):
    erasure = erasure_request_create(
        tenant=tenant,
        requested_by=requester,
        scope="subject",
        subject_kind=kind,
        subject_id=subject,
        reason="data subject request",
    )
    with capture(execute=True):
        approval_approve(request=erasure.approval, user=approver)
    erasure.refresh_from_db()
    assert erasure.completed_at is not None
    return erasure.certificate


def test_the_walk_covers_every_installed_model():
    tables = searched_columns()
    for model in apps.get_models():
        text = [f for f in model._meta.concrete_fields if isinstance(f, TEXT_TYPES)]
        if text and model._meta.managed and not model._meta.proxy:
            assert model._meta.db_table in tables, model


def test_no_table_keeps_an_erased_subject(
    settings, tmp_path, tenant, make_member, django_capture_on_commit_callbacks
):
    settings.AUDIT_ANCHOR_URL = f"file://{tmp_path / 'anchors'}"
    requester, approver = make_member(tenant, Role.ADMIN), make_member(tenant, Role.ADMIN)
    conversation = _customer(tenant, approver)
    _applicant(tenant)
    pseudonym = medical.note(tenant).patient.pseudonym
    planted = {EMAIL: tables_holding(EMAIL), ACCOUNT: tables_holding(ACCOUNT)}
    planted[PHONE] = tables_holding(PHONE)
    # The scenario did plant the identifiers where the sweep must find them.
    assert {"knowledge_node.key", "customer_service_chunk.text"} <= set(planted[EMAIL])
    assert "notifications_delivery.body" in planted[EMAIL]
    assert "financial_risk_riskaccount.external_id" in planted[ACCOUNT]
    assert "knowledge_node.label" in planted[PHONE]

    capture = django_capture_on_commit_callbacks
    customer = _erase(tenant, requester, approver, capture, "customer", EMAIL)
    applicant = _erase(tenant, requester, approver, capture, "applicant", ACCOUNT)
    _erase(tenant, requester, approver, capture, "patient", pseudonym)

    for needle in (EMAIL, ACCOUNT, PHONE, pseudonym):
        assert tables_holding(needle) == [], needle
    assert not Conversation.objects.filter(pk=conversation.pk).exists()
    assert not Delivery.objects.filter(tenant=tenant).exists()
    assert not Node.objects.filter(embedding__isnull=False, graph__tenant=tenant).exists()
    assert customer["deleted"]["knowledge.Node"] >= 3  # faq, chunk, crm node
    assert applicant["deleted"]["financial_risk.Transaction"] == 1
