"""Erasure sweeps everything: after a subject's approved erasure, no table of any installed
model holds the identifier in any text, JSON or binary column (read with raw SQL, the way a
database administrator or a backup would see it), no Redis key or value of the tests' database
does, and no file under the platform's file roots (export archives, read member by member).
The walk is generated from the installed models, so a model added later is searched too,
without changing this test."""

from __future__ import annotations

import gzip
import zipfile
from datetime import UTC, datetime
from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings as django_settings
from django.core.management import call_command
from django.db import connection, models
from django.utils import timezone

from apps.accounts.roles import Role
from apps.adaptation.models import AdapterVersion, TrainingSet
from apps.adaptation.tests import factories as adaptation
from apps.approvals.services import approval_approve
from apps.customer_service.document_models import Chunk
from apps.customer_service.models import Conversation, ReviewItem, Turn, TurnRole
from apps.customer_service.services import documents_upload, rating_create, review_approve
from apps.customer_service.tests import factories as cs
from apps.data_lifecycle.erasure import erasure_request_create
from apps.financial_risk.models import Decision, RiskAccount, Transaction, TransactionImport
from apps.financial_risk.services.fraud_imports import transaction_import_start
from apps.financial_risk.services.fraud_state import redis_client, state_rebuild
from apps.financial_risk.services.rings import fraud_graph_build
from apps.financial_risk.tests import factories as risk
from apps.jobs.models import Job, JobState
from apps.medical_records.tests import factories as medical
from apps.notifications.alerts import alert_raise
from apps.notifications.models import Alert, Delivery, Destination
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
                if connection.vendor == "postgresql":
                    holds = (
                        f"position(lower(%s) in lower(encode(convert_to({quote(column)}::text, "
                        "'UTF8'), 'escape'))) > 0"
                    )
                else:  # SQLite: text, JSON and blobs alike read as text
                    holds = f"instr(lower(CAST({quote(column)} AS TEXT)), lower(%s)) > 0"
                cursor.execute(f"SELECT count(*) FROM {quote(table)} WHERE {holds}", [needle])
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
    Job.objects.create(  # a finished job whose result quotes the customer
        tenant=tenant,
        kind="customer_service.examples.import",
        task_name="t",
        state=JobState.SUCCEEDED,
        result={"rejected": [f"row 3: {EMAIL} is not a question"]},
        finished_at=timezone.now(),
    )
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
    state_rebuild(tenant=tenant, account_ids=[account.pk])  # its online state in Redis
    alert_raise(
        tenant=tenant,
        source="financial_risk.fraud",
        severity="warning",
        title=f"Unusual spending on account {ACCOUNT}",
        dedup_key=ACCOUNT,
        domain="financial_risk",
        details={"account": ACCOUNT},
    )
    # Pairs for domain adaptation quoting the account (masking does not know account ids).
    pairs = [
        {"messages": [{"role": "user", "content": f"Why was {ACCOUNT} blocked?"}],
         "response": "A payment looked unusual.", "source": "upload"},
        {"messages": [{"role": "user", "content": "How do I unblock a card?"}],
         "response": "Call us.", "source": "upload"},
    ]  # fmt: skip
    TrainingSet.objects.create(tenant=tenant, name="support", pairs=pairs, pair_count=2)
    adapter = adaptation.adapter_version(tenant)
    AdapterVersion.objects.filter(pk=adapter.pk).update(validation_pairs=pairs)
    header = "account,amount,currency,occurred_at,merchant_category,channel,country\n"
    for holder in (ACCOUNT, "acct-somebody-else"):
        row = f"{holder},5.00,EUR,2026-02-01T10:00:00Z,5411,pos,FR\n"
        transaction_import_start(tenant=tenant, content=(header + row).encode(), filename="t.csv")


def redis_holding(needle: str) -> list[str]:
    """Every Redis key (of the tests' database) whose name or value contains ``needle``."""
    client, found = redis_client(), []
    wanted = needle.encode()
    for key in client.scan_iter(count=1000):
        kind = client.type(key)
        if kind == b"string":
            values = [client.get(key) or b""]
        elif kind == b"list":
            values = client.lrange(key, 0, -1)
        elif kind == b"set":
            values = list(client.smembers(key))
        elif kind == b"zset":
            values = client.zrange(key, 0, -1)
        elif kind == b"hash":
            values = [b"%s=%s" % item for item in client.hgetall(key).items()]
        else:
            values = []
        if any(wanted in value for value in [key, *values]):
            found.append(key.decode(errors="replace"))
    return found


def files_holding(needle: str) -> list[str]:
    """Every file under the platform's file roots (the export root, the anchor store) whose
    bytes, or a zip member's decompressed bytes, contain ``needle`` (any case)."""
    roots = [Path(django_settings.PRIVACY_EXPORT_ROOT)]
    roots.append(Path(django_settings.AUDIT_ANCHOR_URL.removeprefix("file://")))
    wanted, found = needle.casefold().encode(), []
    for path in (p for root in roots if root.is_dir() for p in root.rglob("*") if p.is_file()):
        contents = [path.read_bytes()]
        if zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as archive:
                contents += [archive.read(name) for name in archive.namelist()]
        if any(wanted in content.lower() for content in contents):
            found.append(str(path))
    return found


def _export(tenant) -> None:
    """An export of the tenant under PRIVACY_EXPORT_ROOT, as ``privacy_export`` writes it."""
    call_command("privacy_export", "--tenant", tenant.slug, stdout=StringIO())


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


@pytest.mark.redis  # the sweep reads Redis too (fraud state, caches)
def test_no_table_keeps_an_erased_subject(
    settings, tmp_path, tenant, make_member, django_capture_on_commit_callbacks
):
    settings.AUDIT_ANCHOR_URL = f"file://{tmp_path / 'anchors'}"
    settings.PRIVACY_EXPORT_ROOT = tmp_path / "exports"
    requester, approver = make_member(tenant, Role.ADMIN), make_member(tenant, Role.ADMIN)
    conversation = _customer(tenant, approver)
    _applicant(tenant)
    pseudonym = medical.note(tenant).patient.pseudonym
    planted = {EMAIL: tables_holding(EMAIL), ACCOUNT: tables_holding(ACCOUNT)}
    planted[PHONE] = tables_holding(PHONE)
    # The scenario did plant the identifiers where the sweep must find them.
    assert {"knowledge_node.key", "customer_service_chunk.text"} <= set(planted[EMAIL])
    assert "notifications_delivery.body" in planted[EMAIL]
    assert "jobs_job.result" in planted[EMAIL]
    assert "financial_risk_riskaccount.external_id" in planted[ACCOUNT]
    assert "knowledge_node.label" in planted[PHONE]
    assert "notifications_alert.title" in planted[ACCOUNT]
    assert "adaptation_trainingset.pairs" in planted[ACCOUNT]
    assert "adaptation_adapterversion.validation_pairs" in planted[ACCOUNT]
    assert redis_holding("dev-sweep-1")  # the account's devices in its online state

    capture = django_capture_on_commit_callbacks
    certificates = {}
    for kind, subject in (("customer", EMAIL), ("applicant", ACCOUNT), ("patient", pseudonym)):
        _export(tenant)  # the files: an export made before the request quotes the subject
        assert files_holding(subject), subject
        certificates[kind] = _erase(tenant, requester, approver, capture, kind, subject)
        assert files_holding(subject) == [], subject
        assert certificates[kind]["derived"]["export_archives"] == 1
    customer, applicant = certificates["customer"], certificates["applicant"]

    for needle in (EMAIL, ACCOUNT, PHONE, pseudonym):
        assert tables_holding(needle) == [], needle
        assert redis_holding(needle) == [], needle
        assert files_holding(needle) == [], needle
    assert redis_holding("dev-sweep-1") == []
    assert not Alert.objects.filter(tenant=tenant).exists()
    # The staged import naming the applicant is gone (its rows are ciphertext: raw SQL cannot
    # see them), the other applicant's stays.
    training_set = TrainingSet.objects.get(tenant=tenant)  # the other pair stays
    assert training_set.pair_count == 1 and len(training_set.pairs) == 1
    assert len(AdapterVersion.objects.get(tenant=tenant).validation_pairs) == 1
    imports = TransactionImport.objects.filter(tenant=tenant)
    assert [b"acct-somebody-else" in gzip.decompress(i.data) for i in imports] == [True]
    assert not Conversation.objects.filter(pk=conversation.pk).exists()
    assert not Delivery.objects.filter(tenant=tenant).exists()
    assert not Node.objects.filter(embedding__isnull=False, graph__tenant=tenant).exists()
    assert customer["deleted"]["knowledge.Node"] >= 3  # faq, chunk, crm node
    assert applicant["deleted"]["financial_risk.Transaction"] == 1
