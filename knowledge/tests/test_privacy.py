"""Erasing a data subject from the knowledge graphs: a node is matched by an alias only when the
alias is exactly the subject, on every database (PostgreSQL answers a JSON containment lookup;
SQLite has none and was answered "contains lookup is not supported")."""

from __future__ import annotations

import pytest

from knowledge import services
from knowledge.models import Node
from knowledge.privacy import _erase_subject

pytestmark = pytest.mark.django_db


def test_an_exact_alias_erases_its_node_and_a_longer_one_does_not(tenant, other_tenant):
    graph = services.graph_create(tenant=tenant, name="crm")
    services.graph_upsert(
        graph=graph,
        nodes=[
            {"key": "customer:1", "type": "customer", "label": "C1", "aliases": ["Ann Lee", "AL"]},
            {"key": "customer:2", "type": "customer", "label": "C2", "aliases": ["Ann Lee Jr"]},
            {"key": "customer:3", "type": "customer", "label": "C3", "aliases": ["李安"]},
        ],
    )
    elsewhere = services.graph_create(tenant=other_tenant, name="crm")
    services.graph_upsert(
        graph=elsewhere,
        nodes=[{"key": "customer:1", "type": "customer", "label": "C1", "aliases": ["Ann Lee"]}],
    )
    counts = _erase_subject(tenant, "customer", "Ann Lee")
    assert counts == {Node._meta.label: 1}
    assert set(Node.objects.filter(graph=graph).values_list("key", flat=True)) == {
        "customer:2",
        "customer:3",
    }
    assert _erase_subject(tenant, "customer", "李安") == {Node._meta.label: 1}
    assert Node.objects.filter(graph=elsewhere).count() == 1  # another tenant's graph untouched
