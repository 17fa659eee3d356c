"""Audit rows cannot be changed or deleted: not through the ORM, and on PostgreSQL not even
with raw SQL (a trigger), while tenants that have audit rows cannot be deleted."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction
from django.db.models import ProtectedError

from apps.audit.models import AuditCheckpoint, AuditEvent, AuditLogImmutable, chain_key

from .conftest import CHECKPOINTS, EVENTS

pytestmark = pytest.mark.django_db


def test_event_save_on_existing_row_is_refused(signed_chain):
    event = AuditEvent.objects.get(pk=signed_chain[0].pk)
    event.action = "changed"
    with pytest.raises(AuditLogImmutable, match="append-only"):
        event.save()
    assert AuditEvent.objects.get(pk=event.pk).action == "test.step1"


def test_event_queryset_update_and_delete_are_refused(signed_chain):
    with pytest.raises(AuditLogImmutable):
        AuditEvent.objects.filter(pk=signed_chain[0].pk).update(action="changed")
    with pytest.raises(AuditLogImmutable):
        AuditEvent.objects.update(action="changed")
    with pytest.raises(AuditLogImmutable):
        AuditEvent.objects.all().delete()
    with pytest.raises(AuditLogImmutable), transaction.atomic():
        # bulk_update opens atomic(savepoint=False): a savepoint keeps the test's usable.
        AuditEvent.objects.bulk_update(signed_chain, ["action"])
    assert AuditEvent.objects.count() == 7


def test_event_instance_delete_is_refused(signed_chain):
    with pytest.raises(AuditLogImmutable):
        signed_chain[0].delete()
    assert AuditEvent.objects.filter(pk=signed_chain[0].pk).exists()


def test_checkpoint_is_append_only(signed_chain):
    checkpoint = AuditCheckpoint.objects.first()
    checkpoint.seq = 1
    with pytest.raises(AuditLogImmutable):
        checkpoint.save()
    with pytest.raises(AuditLogImmutable):
        checkpoint.delete()
    with pytest.raises(AuditLogImmutable):
        AuditCheckpoint.objects.all().update(seq=1)
    with pytest.raises(AuditLogImmutable):
        AuditCheckpoint.objects.all().delete()


def test_tenant_with_audit_rows_cannot_be_deleted(signed_chain, tenant):
    with pytest.raises(ProtectedError):
        tenant.delete()


@pytest.mark.postgres
@pytest.mark.parametrize(
    "sql",
    [
        f"UPDATE {EVENTS} SET action = 'changed' WHERE chain = %s",
        f"DELETE FROM {EVENTS} WHERE chain = %s",
        f"UPDATE {CHECKPOINTS} SET seq = 1 WHERE chain = %s",
        f"DELETE FROM {CHECKPOINTS} WHERE chain = %s",
    ],
)
def test_postgres_trigger_refuses_raw_update_and_delete(signed_chain, tenant, sql):
    assert connection.vendor == "postgresql"
    with pytest.raises(DatabaseError, match="append-only"):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, [chain_key(tenant.pk)])
    assert AuditEvent.objects.filter(tenant=tenant, action__startswith="test.step").count() == 5
    assert AuditCheckpoint.objects.filter(chain=chain_key(tenant.pk)).count() == 1
