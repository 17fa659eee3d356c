"""The data migration onto the shared registry, both ways: each tenant's newest active intent
model becomes its champion and every other version is retired; migrating back makes the
champion the one active version."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("customer_service", "0003_merge_20261206_0338")]
AFTER = [("customer_service", "0006_intent_model_registry_constraints")]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def _column(apps, field) -> dict[tuple[str, int], object]:
    model = apps.get_model("customer_service", "IntentModel")
    rows = model.objects.values_list("tenant__slug", "version", field)
    return {(slug, version): value for slug, version, value in rows}


def test_the_active_flag_becomes_the_champion_and_back(tenant, other_tenant):
    latest = MigrationExecutor(connection).loader.graph.leaf_nodes("customer_service")
    try:
        old = _migrate(BEFORE)
        intent_model = old.get_model("customer_service", "IntentModel")
        for owner, version, active in [
            (tenant, 1, False),
            (tenant, 2, True),
            (tenant, 3, True),  # two active rows: the newer one answered
            (other_tenant, 1, True),
            (other_tenant, 2, False),
        ]:
            intent_model.objects.create(tenant_id=owner.pk, version=version, active=active)
        assert _column(_migrate(AFTER), "state") == {
            ("acme", 1): "retired",
            ("acme", 2): "retired",
            ("acme", 3): "champion",
            ("globex", 1): "champion",
            ("globex", 2): "retired",
        }
        assert _column(_migrate(BEFORE), "active") == {
            ("acme", 1): False,
            ("acme", 2): False,
            ("acme", 3): True,
            ("globex", 1): True,
            ("globex", 2): False,
        }
    finally:
        _migrate(latest)
