"""Fixtures of the audit tests: strict audit errors, a small signed chain, raw-SQL tampering."""

from __future__ import annotations

import pytest
from django.db import connection, transaction

from apps.audit.models import AuditChainHead, AuditCheckpoint, AuditEvent
from apps.audit.services import audit_checkpoint_create, audit_event_record

EVENTS = AuditEvent._meta.db_table
HEADS = AuditChainHead._meta.db_table
CHECKPOINTS = AuditCheckpoint._meta.db_table


@pytest.fixture(autouse=True)
def _audit_errors_raise(settings):
    """An audit failure that production only logs must fail the test."""
    settings.AUDIT_RAISE_ERRORS = True


def tamper(*statements: tuple[str, list]) -> None:
    """Run raw SQL as a DBA-level attacker would: on PostgreSQL with triggers disabled
    (``session_replication_role = replica``, for this transaction only)."""
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL session_replication_role = replica")
        for sql, params in statements:
            cursor.execute(sql, params)
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL session_replication_role = DEFAULT")


def insert_sql(obj) -> tuple[str, list]:
    """A raw INSERT of a model instance, every column as the database stores it."""
    fields = obj._meta.concrete_fields
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    placeholders = ", ".join(["%s"] * len(fields))
    params = [f.get_db_prep_save(getattr(obj, f.attname), connection) for f in fields]
    return f"INSERT INTO {obj._meta.db_table} ({columns}) VALUES ({placeholders})", params


@pytest.fixture
def signed_chain(tenant, other_tenant):
    """Five events in ``tenant``'s chain, a signed checkpoint of its head, and some traffic in
    other chains (another tenant's and the platform's) that must stay valid throughout."""
    events = [
        audit_event_record(
            tenant=tenant,
            action=f"test.step{i}",
            resource_type="test.thing",
            resource_id=str(i),
            details={"n": i},
        )
        for i in range(1, 6)
    ]
    audit_event_record(tenant=other_tenant, action="test.other")
    audit_event_record(tenant=None, action="http.get.denied", outcome="denied", status_code=401)
    audit_checkpoint_create()
    return events
