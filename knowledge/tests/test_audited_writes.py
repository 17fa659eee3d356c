"""The API's graph writes are services that own their audit event: the rows and the event
commit together, a failed write leaves its error event and no rows, and the plain writes the
verticals call record nothing."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from apps.audit.models import AuditEvent, Outcome
from apps.jobs.models import Job
from knowledge import services
from knowledge.graphs.validation import GraphValidationError
from knowledge.models import Node

from .factories import small_graph

pytestmark = pytest.mark.django_db


def _events(tenant, action):
    return list(AuditEvent.objects.filter(tenant=tenant, action=action).order_by("seq"))


def test_an_upsert_records_its_keys_and_rows(tenant):
    graph = services.graph_create_audited(tenant=tenant, name="kb")
    result = services.graph_upsert_audited(
        tenant=tenant,
        graph=graph,
        nodes=[{"key": "x", "type": "thing"}, {"key": "y", "type": "thing"}],
        edges=[{"source": "x", "target": "y", "type": "near"}],
    )
    assert (result.nodes, result.edges) == (2, 1)
    [created] = _events(tenant, "knowledge.graph.create")
    assert created.resource_id == str(graph.public_id)
    [upsert] = _events(tenant, "knowledge.graph.upsert")
    assert upsert.outcome == Outcome.SUCCESS and upsert.row_count == 3
    assert upsert.details["domain_keys"] == ["x", "y", "x-near->y"]
    assert upsert.details["keys_total"] == 3


def test_a_rejected_upsert_writes_nothing_and_leaves_its_error_event(tenant):
    graph = small_graph(tenant)
    before = Node.objects.filter(graph=graph).count()
    with pytest.raises(GraphValidationError):
        services.graph_upsert_audited(
            tenant=tenant, graph=graph, nodes=[{"key": "ok", "type": "thing"}, {"key": ""}]
        )
    assert Node.objects.filter(graph=graph).count() == before
    [event] = _events(tenant, "knowledge.graph.upsert")
    assert event.outcome == Outcome.ERROR
    assert event.details["exception"] == "GraphValidationError"


def test_the_plain_writes_record_no_event(tenant):
    graph = small_graph(tenant)  # graph_create + graph_upsert, as the verticals call them
    services.nodes_delete(graph=graph, keys=["e"])
    assert not AuditEvent.objects.filter(tenant=tenant, action__startswith="knowledge.").exists()


def test_deleting_nodes_counts_them_and_reports_the_stored_version(tenant):
    graph = small_graph(tenant)
    version = graph.version
    deleted = services.nodes_delete_audited(tenant=tenant, graph=graph, keys=["e", "missing"])
    assert deleted == 1 and graph.version == version + 1
    [event] = _events(tenant, "knowledge.graph.delete_nodes")
    assert event.row_count == 1 and event.details["domain_keys"] == ["e", "missing"]


def test_an_invalid_import_is_refused_before_anything_is_kept_or_audited(tenant):
    graph = small_graph(tenant)
    with pytest.raises(GraphValidationError):
        services.graph_import_start_audited(
            tenant=tenant, graph=graph, fmt="csv", files={"nodes.csv": "key,type\n,thing\n"}
        )
    assert not Job.objects.filter(tenant=tenant).exists()
    assert not _events(tenant, "knowledge.graph.import.start")


def test_the_api_views_leave_auditing_to_the_services():
    views = Path(__file__).resolve().parents[1] / "api" / "views.py"
    tree = ast.parse(views.read_text())
    imported = {
        node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module
    }
    called = {
        node.func.id
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
    }
    assert not any(name.startswith("apps.audit") for name in imported)
    assert "audited" not in called
