"""Graphs, nodes and edges are known outside the database only by their random public id
(issue 17): the bulk writes (COPY and the ORM path) give every row one, the API answers with
them and takes only them, and the query bodies name a graph by it."""

from __future__ import annotations

import uuid

import pytest

from apps.accounts.roles import Role
from apps.audit.models import AuditEvent
from knowledge import services
from knowledge.models import Edge, Graph, Node
from knowledge.services import bulk

from .factories import TRIANGLE_EDGES, TRIANGLE_NODES, small_graph

pytestmark = pytest.mark.django_db

BASE = "/api/v1/knowledge/"


@pytest.fixture(params=["copy", "orm"])
def write_path(request, monkeypatch):
    monkeypatch.setattr(bulk, "COPY_ENABLED", request.param == "copy")
    return request.param


def _public_ids(model, graph) -> list[uuid.UUID]:
    return list(model.objects.filter(graph=graph).values_list("public_id", flat=True))


def test_random_uuids_are_distinct_version_4_uuids():
    made = bulk.random_uuids(5000)
    parsed = [uuid.UUID(text) for text in made]
    assert len(set(parsed)) == 5000
    assert {u.version for u in parsed} == {4}
    assert {u.variant for u in parsed} == {uuid.RFC_4122}
    assert bulk.random_uuids(0) == []


def test_imports_and_upserts_give_every_row_a_public_id(tenant, write_path):
    graph = services.graph_create(tenant=tenant, name="ids")
    services.graph_upsert(graph=graph, nodes=TRIANGLE_NODES, edges=TRIANGLE_EDGES)  # first write
    first = {"nodes": _public_ids(Node, graph), "edges": _public_ids(Edge, graph)}
    assert len(set(first["nodes"])) == len(TRIANGLE_NODES)
    assert len(set(first["edges"])) == len(TRIANGLE_EDGES)
    # A later write goes through the temporary table's upsert: new rows get ids, changed rows
    # keep theirs.
    services.graph_upsert(
        graph=graph,
        nodes=[{"key": "a", "type": "person", "label": "Alice B."}, {"key": "z", "type": "x"}],
        edges=[{"source": "a", "target": "z", "type": "knows"}],
    )
    nodes = dict(Node.objects.filter(graph=graph).values_list("key", "public_id"))
    assert set(first["nodes"]) <= set(nodes.values())
    assert len(set(nodes.values())) == len(TRIANGLE_NODES) + 1
    assert len(set(_public_ids(Edge, graph))) == len(TRIANGLE_EDGES) + 1
    assert None not in nodes.values()


def test_the_api_speaks_public_ids_only(tenant, make_api_client):
    graph = small_graph(tenant, name="kb")
    client = make_api_client(tenant, Role.ADMIN)
    listed = client.get(f"{BASE}graphs/").json()["results"]
    assert listed[0]["id"] == str(graph.public_id)
    assert client.get(f"{BASE}graphs/{graph.public_id}/").status_code == 200
    # A graph's key is its public id: nothing sequential exists to guess, and a number is a 404.
    assert graph.pk == graph.public_id and isinstance(graph.pk, uuid.UUID)
    assert client.get(f"{BASE}graphs/{graph.pk}/").status_code == 200
    assert client.get(f"{BASE}graphs/1/").status_code == 404

    node = Node.objects.get(graph=graph, key="a")
    body = client.get(f"{BASE}nodes/{node.public_id}/").json()
    assert (body["id"], body["graph"]) == (str(node.public_id), str(graph.public_id))
    assert client.get(f"{BASE}nodes/{node.pk}/").status_code == 404
    edge = Edge.objects.filter(graph=graph).first()
    body = client.get(f"{BASE}edges/{edge.public_id}/").json()
    assert (body["id"], body["graph"]) == (str(edge.public_id), str(graph.public_id))

    # Query bodies name the graph by its public id.
    khop = client.get(f"{BASE}graphs/{graph.public_id}/khop/", {"node": "a"}).json()
    assert khop["graph_id"] == str(graph.public_id)
    link = client.post(f"{BASE}graphs/{graph.public_id}/link/", {"text": "Alice"}, format="json")
    assert link.json()["graph_id"] == str(graph.public_id)
    search = client.post(
        f"{BASE}graphs/{graph.public_id}/search/", {"query": "Alice"}, format="json"
    ).json()
    assert search["graph_id"] == str(graph.public_id)
    assert {hit["graph_id"] for hit in search["hits"]} <= {str(graph.public_id)}


def test_filters_take_the_graphs_public_id(tenant, make_api_client):
    graph = small_graph(tenant, name="kb")
    client = make_api_client(tenant, Role.ADMIN)
    by_public = client.get(f"{BASE}nodes/", {"graph": str(graph.public_id), "page_size": 50})
    assert len(by_public.json()["results"]) == len(TRIANGLE_NODES)
    old = client.get(f"{BASE}nodes/", {"graph": 1})
    assert old.status_code == 400 and "graph" in old.json()["errors"]
    assert client.get(f"{BASE}edges/", {"graph": str(uuid.uuid4())}).json()["results"] == []


def test_audit_events_name_the_graph_by_its_public_id(tenant, make_api_client):
    client = make_api_client(tenant, Role.ADMIN)
    created = client.post(f"{BASE}graphs/", {"name": "audited"}, format="json").json()
    graph = Graph.objects.get(public_id=created["id"])
    client.post(
        f"{BASE}graphs/{graph.public_id}/upsert/",
        {"nodes": [{"key": "k", "type": "t"}]},
        format="json",
    )
    events = AuditEvent.objects.filter(tenant=tenant, resource_type="knowledge.graph")
    assert events.count() == 2
    assert set(events.values_list("resource_id", flat=True)) == {str(graph.public_id)}
