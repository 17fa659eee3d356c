"""The data migration onto the shared registry, both ways: a promoted adapter is stored as the
champion, and migrating back restores ``promoted``."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("adaptation", "0001_initial")]
AFTER = [("adaptation", "0004_registry_constraints")]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def _states(apps) -> dict[int, str]:
    model = apps.get_model("adaptation", "AdapterVersion")
    return dict(model.objects.order_by("version").values_list("version", "state"))


def test_promoted_becomes_champion_and_back(tenant):
    latest = MigrationExecutor(connection).loader.graph.leaf_nodes("adaptation")
    try:
        old = _migrate(BEFORE)
        adapter = old.get_model("adaptation", "AdapterVersion")
        for version, state in enumerate(("retired", "promoted", "draft"), start=1):
            adapter.objects.create(
                tenant_id=tenant.pk, name="shop", version=version, state=state, digest="d"
            )
        assert _states(_migrate(AFTER)) == {1: "retired", 2: "champion", 3: "draft"}
        assert _states(_migrate(BEFORE)) == {1: "retired", 2: "promoted", 3: "draft"}
    finally:
        _migrate(latest)
