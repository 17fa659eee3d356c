"""Erasure requests end to end: four eyes over the API, the job, the data gone (database,
cache), a verifiable certificate; the audit chain still verifies against its anchors and
still detects tampering; tenant offboarding exports, then erases and shreds the keys."""

from __future__ import annotations

import zipfile
from io import StringIO

import pytest
from django.conf import settings as django_settings
from django.core.management import call_command
from django.db import connection
from rest_framework.test import APIClient

from apps.accounts.models import Tenant
from apps.accounts.roles import Role
from apps.approvals.services import approval_approve
from apps.audit.models import AuditEvent
from apps.audit.services import audit_checkpoint_create
from apps.customer_service.models import Conversation, Turn
from apps.customer_service.tests import factories as cs
from apps.data_lifecycle.erasure import erasure_certificate_valid, erasure_request_create
from apps.financial_risk.models import Decision
from apps.financial_risk.tests import factories as risk
from apps.medical_records.models import Note, Patient
from apps.medical_records.tests import factories as medical
from apps.privacy.keys import KeyUnavailable, decrypt
from apps.privacy.models import ErasureRequest, TenantDataKey
from models_runtime.cache import cache_get, cache_key, cache_set
from tests.raw_sql import raw_key

pytestmark = pytest.mark.django_db
URL = "/api/v1/privacy/erasure-requests/"


@pytest.fixture
def anchors(settings, tmp_path):
    settings.AUDIT_ANCHOR_URL = f"file://{tmp_path / 'anchors'}"
    settings.PRIVACY_EXPORT_ROOT = tmp_path / "exports"


def _client(user, tenant):
    client = APIClient()
    client.force_login(user)
    client.credentials(HTTP_X_TENANT=tenant.slug)
    return client


def _customer_conversation(tenant, email):
    conversation = cs.conversation(tenant)
    Conversation.objects.filter(pk=conversation.pk).update(slots={"email": email})
    Turn.objects.create(
        tenant=tenant, conversation=conversation, seq=1, role="user", text=f"I am {email}"
    )
    return conversation


def test_customer_erasure_four_eyes_over_the_api(
    anchors, tenant, make_member, make_api_client, django_capture_on_commit_callbacks
):
    alice, bob = make_member(tenant, Role.ADMIN), make_member(tenant, Role.ADMIN)
    gone = _customer_conversation(tenant, "alice.customer@example.com")
    kept = _customer_conversation(tenant, "other@example.com")
    key = cache_key(tenant_id=tenant.pk, model="chat", kind="generate", payload={"p": "x"})
    cache_set(key, {"text": "reply to alice.customer@example.com"})
    body = {
        "scope": "subject",
        "subject_kind": "customer",
        "subject_id": "alice.customer@example.com",
        "reason": "GDPR art. 17 request of 2026-12-01",
    }
    # An API key is not a person: no four eyes without two people.
    assert make_api_client(tenant, Role.ADMIN).post(URL, body, format="json").status_code == 403
    bad = _client(alice, tenant).post(URL, {**body, "subject_kind": "x"}, format="json")
    assert bad.status_code == 400 and "subject_kind" in bad.content.decode()
    created = _client(alice, tenant).post(URL, body, format="json")
    assert created.status_code == 201, created.content
    request_url = f"{URL}{created.json()['id']}/"
    # A single admin cannot both request and approve.
    refused = _client(alice, tenant).post(request_url + "approve/", {}, format="json")
    assert refused.status_code == 403 and "requester" in refused.json()["detail"]
    assert Conversation.objects.filter(pk=gone.pk).exists()
    with django_capture_on_commit_callbacks(execute=True):
        approved = _client(bob, tenant).post(request_url + "approve/", {}, format="json")
    assert approved.status_code == 202, approved.content

    assert not Conversation.objects.filter(pk=gone.pk).exists()
    assert not Turn.objects.filter(conversation_id=gone.pk).exists()
    assert Conversation.objects.filter(pk=kept.pk).exists()
    assert cache_get(key) is None  # derived: the cached reply is gone too
    erasure = ErasureRequest.objects.get()
    assert erasure.subject_ref == "" and erasure.approval.state == "executed"
    certificate = _client(bob, tenant).get(request_url).json()["certificate"]
    assert certificate["deleted"]["customer_service.Conversation"] == 1
    assert certificate["deleted"]["customer_service.Turn"] == 1
    assert certificate["derived"]["cached_results"] == 1
    assert erasure_certificate_valid(certificate)
    assert not erasure_certificate_valid({**certificate, "deleted": {}})
    # No audit event carries the identifier.
    assert not AuditEvent.objects.filter(details__icontains="alice.customer").exists()
    assert not AuditEvent.objects.filter(resource_id__icontains="alice.customer").exists()


def _approve(erasure, tenant, make_member, capture):
    with capture(execute=True):
        approval_approve(request=erasure.approval, user=make_member(tenant, Role.ADMIN))
    erasure.refresh_from_db()
    return erasure


def test_patient_and_applicant_erasure_keep_the_audit_chain_verifiable(
    anchors, tenant, make_member, django_capture_on_commit_callbacks
):
    note = medical.note(tenant)
    pseudonym = note.patient.pseudonym
    decision = risk.decision(tenant)
    Decision.objects.filter(pk=decision.pk).update(reference="APP-0042")
    requester = make_member(tenant, Role.ADMIN)
    for kind, subject in (("patient", pseudonym), ("applicant", "APP-0042")):
        erasure = erasure_request_create(
            tenant=tenant,
            requested_by=requester,
            scope="subject",
            subject_kind=kind,
            subject_id=subject,
            reason="request",
        )
        erasure = _approve(erasure, tenant, make_member, django_capture_on_commit_callbacks)
        assert erasure.certificate["subject_kind"] == kind
    assert not Note.objects.filter(pk=note.pk).exists()
    assert not Patient.objects.filter(pseudonym=pseudonym).exists()
    assert not Decision.objects.filter(reference="APP-0042").exists()

    audit_checkpoint_create()
    out = StringIO()
    call_command("audit_verify", stdout=out, stderr=StringIO())
    assert out.getvalue().startswith("OK:")
    with connection.cursor() as cursor:  # and tampering is still caught
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute(
            f"UPDATE {AuditEvent._meta.db_table} SET details = %s WHERE action = %s",
            ['{"scope": "forged"}', "privacy.erasure.execute"],
        )
    with pytest.raises(SystemExit):
        call_command("audit_verify", stdout=StringIO(), stderr=StringIO())


def _export(tenant) -> set:
    """Export ``tenant`` under PRIVACY_EXPORT_ROOT; the archives there afterwards."""
    call_command("privacy_export", "--tenant", tenant.slug, stdout=StringIO())
    return _export_archives()


def _export_archives() -> set:
    return set(django_settings.PRIVACY_EXPORT_ROOT.glob("*.zip"))


def test_a_subject_erasure_deletes_only_the_tenants_archives_that_quote_them(
    anchors, tenant, other_tenant, make_member, django_capture_on_commit_callbacks
):
    before_contact = _export(tenant)  # made before the customer wrote: quotes nobody
    _customer_conversation(tenant, "carol.customer@example.com")
    _customer_conversation(other_tenant, "carol.customer@example.com")
    quoting = _export(tenant) - before_contact
    theirs = _export(other_tenant) - quoting - before_contact
    assert len(before_contact) == len(quoting) == len(theirs) == 1
    erasure = erasure_request_create(
        tenant=tenant,
        requested_by=make_member(tenant, Role.ADMIN),
        scope="subject",
        subject_kind="customer",
        subject_id="Carol.Customer@example.com",  # as the person wrote it: any case
        reason="request",
    )
    erasure = _approve(erasure, tenant, make_member, django_capture_on_commit_callbacks)
    assert erasure.certificate["derived"]["export_archives"] == 1
    # Another tenant's archive is that tenant's data (its own controller, its own request).
    assert _export_archives() == before_contact | theirs


def test_tenant_offboarding_exports_then_erases_and_shreds_keys(
    anchors, tenant, make_member, django_capture_on_commit_callbacks, settings
):
    conversation = _customer_conversation(tenant, "bob@example.com")
    earlier = _export(tenant)  # an earlier export: a copy the offboarding removes
    raw = Turn.objects.filter(conversation=conversation).values_list("text", flat=True)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT text FROM {Turn._meta.db_table} WHERE tenant_id = %s",
            [raw_key(Tenant, tenant.pk)],
        )
        ciphertext = cursor.fetchone()[0]
    assert list(raw) == ["I am bob@example.com"]
    erasure = erasure_request_create(
        tenant=tenant, requested_by=make_member(tenant, Role.ADMIN), scope="tenant", reason="end"
    )
    erasure = _approve(erasure, tenant, make_member, django_capture_on_commit_callbacks)
    archive = settings.PRIVACY_EXPORT_ROOT / f"{tenant.pk}-{erasure.pk}.zip"
    with zipfile.ZipFile(archive) as export:
        turns = export.read("customer_service_turn.jsonl").decode()
        assert "I am bob@example.com" in turns and "README.txt" in export.namelist()
    assert set(settings.PRIVACY_EXPORT_ROOT.glob("*.zip")) == {archive}  # the hand-over only
    assert len(earlier) == 1 and erasure.certificate["derived"]["export_archives"] == 1
    assert not Conversation.objects.filter(tenant=tenant).exists()
    assert Tenant.objects.get(pk=tenant.pk).is_active is False  # a tombstone stays
    assert erasure.certificate["derived"]["data_keys_destroyed"] == 1
    assert TenantDataKey.objects.get(tenant=tenant).wrapped_key == ""
    with pytest.raises(KeyUnavailable):  # a copy of the ciphertext (a backup) is unreadable
        decrypt(ciphertext)
