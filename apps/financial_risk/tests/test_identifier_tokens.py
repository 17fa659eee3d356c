"""Device ids, IP addresses and phone numbers are keyed digests (issue 19): equal values join,
nothing is stored in clear, and the migration turns rows stored before into digests and drops
what was derived from them."""

from __future__ import annotations

import importlib
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.apps import apps as django_apps

from apps.financial_risk.models import Transaction
from apps.financial_risk.services.fraud_transactions import identifier_token, transaction_fields
from knowledge.models import Graph, Node

from .factories import account

pytestmark = pytest.mark.django_db

migration = importlib.import_module(
    "apps.financial_risk.migrations.0010_tokenise_transaction_identifiers"
)


def test_tokens_are_keyed_stable_per_field_and_idempotent(settings):
    device = identifier_token("device_id", "dev-1")
    assert device.startswith("dt_") and "dev-1" not in device
    assert identifier_token("device_id", "dev-1") == device  # equal values join
    assert identifier_token("phone", "dev-1") != device.replace("dt_", "pt_")  # field mixed in
    assert identifier_token("device_id", device) == device  # a stored token fed back
    assert identifier_token("ip_address", "") == ""
    settings.FRAUD_CARD_TOKEN_KEY = "another key"
    assert identifier_token("device_id", "dev-1") != device  # no key, no guessing
    # The migration writes the same digest as the service.
    for field, value in (("device_id", "d-9"), ("ip_address", "192.0.2.1"), ("phone", "+1 555")):
        assert migration.token(field, value) == identifier_token(field, value)


def test_arriving_fields_are_tokens():
    fields = transaction_fields(
        {
            "amount": Decimal("1.00"),
            "occurred_at": datetime(2026, 1, 1, tzinfo=UTC),
            "device_id": "dev-7",
            "ip_address": "198.51.100.9",
        }
    )
    assert fields["device_id"] == identifier_token("device_id", "dev-7")
    assert fields["ip_address"] == identifier_token("ip_address", "198.51.100.9")


def test_the_migration_tokenises_stored_rows_and_drops_derived_identifier_nodes(tenant):
    row = Transaction.objects.create(
        tenant=tenant,
        account=account(tenant),
        amount=Decimal("3.00"),
        device_id="dev-old",
        ip_address="203.0.113.77",
        phone="+447700900123",
        occurred_at=datetime(2026, 1, 1, tzinfo=UTC),
    )
    graph = Graph.objects.create(tenant=tenant, name="fraud")
    Node.objects.create(graph=graph, key="ip:203.0.113.77", type="ip", label="203.0.113.77")
    kept = Node.objects.create(graph=graph, key="account:a1", type="account", label="a1")
    migration.tokenise(django_apps, None)
    migration.tokenise(django_apps, None)  # run twice: tokens are not digested again
    row.refresh_from_db()
    assert row.device_id == identifier_token("device_id", "dev-old")
    assert row.ip_address == identifier_token("ip_address", "203.0.113.77")
    assert row.phone == identifier_token("phone", "+447700900123")
    assert list(Node.objects.filter(graph=graph)) == [kept]
