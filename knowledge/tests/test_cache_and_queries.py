"""The per-process networkx cache keyed by version, and every query kind."""

from __future__ import annotations

import networkx as nx
import pytest

from knowledge import cache, selectors, services
from knowledge.graphs.algorithms import NodeNotFound
from knowledge.models import Graph

from .factories import medical_graph, shop_graph, small_graph

pytestmark = pytest.mark.django_db


# ---------------------------------------------------------------------------- cache
# These commit for real (transaction=True): what a process sees depends on commits.
committing = pytest.mark.django_db(transaction=True)


@committing
def test_same_version_serves_the_same_object(tenant):
    graph = small_graph(tenant)
    first = cache.cached_graph(graph)
    assert cache.cached_graph(graph) is first
    assert first.version == graph.version
    assert set(first.graph.nodes) == {"a", "b", "c", "d", "e"}


@committing
def test_a_write_through_a_service_is_seen_at_once(tenant, settings):
    settings.KNOWLEDGE_VERSION_CHECK_S = 3600  # only the service's own invalidation can help
    graph = small_graph(tenant)
    first = cache.cached_graph(graph)
    services.graph_upsert(graph=graph, nodes=[{"key": "z", "type": "person"}])
    second = cache.cached_graph(graph)
    assert second is not first
    assert second.version == first.version + 1
    assert "z" in second.graph and "z" not in first.graph


@committing
def test_another_process_write_is_seen_within_the_check_interval(tenant, settings):
    graph = small_graph(tenant)
    settings.KNOWLEDGE_VERSION_CHECK_S = 3600
    first = cache.cached_graph(graph)
    # Another process's write: rows and version change in the database, not through this
    # process's services, so nothing here was told.
    from django.db.models import F

    from knowledge.models import Node

    Node.objects.create(graph=graph, key="y", type="person", label="Yan")
    Graph.objects.filter(pk=graph.pk).update(version=F("version") + 1)
    assert cache.cached_graph(graph) is first  # within the interval: the cached copy
    settings.KNOWLEDGE_VERSION_CHECK_S = 0
    rebuilt = cache.cached_graph(graph)
    assert rebuilt is not first and "y" in rebuilt.graph
    assert rebuilt.version == first.version + 1


@committing
def test_a_write_that_changes_nothing_keeps_the_cache(tenant, settings):
    settings.KNOWLEDGE_VERSION_CHECK_S = 0
    graph = small_graph(tenant)
    first = cache.cached_graph(graph)
    services.graph_upsert(graph=graph, nodes=[{"key": "e", "type": "person", "label": "Eve"}])
    assert cache.cached_graph(graph) is first


@committing
def test_a_rolled_back_write_does_not_poison_the_cache(tenant, settings):
    from django.db import transaction

    settings.KNOWLEDGE_VERSION_CHECK_S = 3600
    graph = small_graph(tenant)
    shared = cache.cached_graph(graph)
    with pytest.raises(RuntimeError), transaction.atomic():
        services.graph_upsert(graph=graph, nodes=[{"key": "ghost", "type": "person"}])
        inside = cache.cached_graph(graph)  # the writer sees its own uncommitted write…
        assert "ghost" in inside.graph and inside is not shared
        raise RuntimeError("roll back")
    assert cache.cached_graph(graph) is shared  # …and nobody else ever does
    settings.KNOWLEDGE_VERSION_CHECK_S = 0
    assert "ghost" not in cache.cached_graph(graph).graph


@committing
def test_deleted_graph_is_not_served(tenant):
    graph = small_graph(tenant)
    cache.cached_graph(graph)
    graph_id = graph.pk
    services.graph_delete(graph=graph)
    with pytest.raises(LookupError):
        cache.cached_graph(graph_id)


# ---------------------------------------------------------------------------- queries


def test_neighbours_by_type_and_direction(tenant):
    graph = small_graph(tenant)
    out = selectors.node_neighbours(graph, "a", direction="out")
    assert {(r["key"], r["edge_type"]) for r in out} == {("b", "knows"), ("c", "uses")}
    assert {r["key"] for r in selectors.node_neighbours(graph, "c", direction="in")} == {"a", "b"}
    uses = selectors.node_neighbours(graph, "b", edge_types=["uses"], direction="both")
    assert [(r["key"], r["direction"], r["label"]) for r in uses] == [("c", "out", "Phone C")]
    both = selectors.node_neighbours(graph, "a", edge_types=["knows"], direction="both")
    assert sorted(r["direction"] for r in both) == ["in", "out"]
    with pytest.raises(NodeNotFound):
        selectors.node_neighbours(graph, "nobody")


def test_khop_matches_ego_graph_and_filters(tenant):
    graph = small_graph(tenant)
    g = selectors.graph_networkx(graph)
    for node in g:
        for k in (1, 2, 3):
            hood = selectors.graph_khop(graph, node, k)
            ego = nx.ego_graph(g, node, radius=k)
            assert set(hood.nodes) == set(ego.nodes)
            assert sorted((s, t, key) for s, t, key, _ in hood.edges) == sorted(
                ego.edges(keys=True)
            )
    hood = selectors.graph_khop(graph, "d", 2, direction="in")
    assert hood.distance == {"d": 0, "c": 1, "a": 2, "b": 2}
    typed = selectors.graph_khop(graph, "a", 3, edge_types=["knows"], direction="both")
    assert set(typed.nodes) == {"a", "b"}
    assert hood.version == graph.version
    capped = selectors.graph_khop(graph, "d", 3, direction="in", max_nodes=2)
    assert set(capped.nodes) == {"d", "c"}


def test_shortest_path(tenant):
    graph = small_graph(tenant)
    assert selectors.graph_shortest_path(graph, "a", "d")["path"] == ["a", "c", "d"]
    weighted = selectors.graph_shortest_path(graph, "a", "d", weighted=True)
    assert weighted["path"] == ["a", "b", "c", "d"]  # 1 + 2 + 1 < 5 + 1
    assert [e["type"] for e in weighted["edges"]] == ["knows", "uses", "paired"]
    assert selectors.graph_shortest_path(graph, "d", "a", directed=True)["path"] is None
    assert selectors.graph_shortest_path(graph, "d", "a")["path"] == ["d", "c", "a"]
    no_devices = selectors.graph_shortest_path(graph, "a", "d", edge_types=["knows", "uses"])
    assert no_devices["path"] is None
    assert selectors.graph_shortest_path(graph, "a", "e")["path"] is None


def test_components_over_chosen_edge_types(tenant):
    graph = small_graph(tenant)
    assert selectors.graph_components(graph) == [["a", "b", "c", "d"]]
    assert selectors.graph_components(graph, min_size=1) == [["a", "b", "c", "d"], ["e"]]
    assert selectors.graph_components(graph, edge_types=["knows", "paired"]) == [
        ["a", "b"],
        ["c", "d"],
    ]


def test_fraud_ring_components_through_the_services_api(tenant):
    """What the financial-risk vertical does: bulk upsert, then rings = components."""
    graph, _ = services.seed_graph_ensure(tenant=tenant, seed="financial_risk")
    accounts = [{"key": f"acct:{i}", "type": "account"} for i in range(1, 6)]
    shared = [
        {"key": "dev:x", "type": "device"},
        {"key": "ip:10.0.0.1", "type": "ip"},
        {"key": "merchant:m", "type": "merchant"},
    ]
    edges = [
        {"source": "acct:1", "target": "dev:x", "type": "uses_device"},
        {"source": "acct:2", "target": "dev:x", "type": "uses_device"},
        {"source": "acct:3", "target": "ip:10.0.0.1", "type": "uses_ip"},
        {"source": "acct:2", "target": "ip:10.0.0.1", "type": "uses_ip"},
        {"source": "acct:4", "target": "merchant:m", "type": "paid"},
        {"source": "acct:5", "target": "merchant:m", "type": "paid"},
    ]
    result = services.graph_upsert(graph=graph, nodes=accounts + shared, edges=edges)
    assert (result.nodes_changed, result.edges_changed) == (8, 6)
    rings = selectors.graph_components(graph, edge_types=["uses_device", "uses_ip"])
    assert rings == [["acct:1", "acct:2", "acct:3", "dev:x", "ip:10.0.0.1"]]
    again = services.graph_upsert(graph=graph, nodes=accounts + shared, edges=edges)
    assert (again.nodes_changed, again.edges_changed) == (0, 0)


def test_pagerank_ranks_the_hub_first(tenant):
    graph = shop_graph(tenant)
    ranking = selectors.graph_pagerank(graph, top=5)
    assert len(ranking) == 5
    assert ranking[0][0].startswith("policy:")  # everything flows into the policies
    assert ranking == sorted(ranking, key=lambda kv: -kv[1])
    only_categories = selectors.graph_pagerank(graph, edge_types=["in_category"], top=1)
    assert only_categories[0][0].startswith("cat:")


def test_linked_by_edge_type_finds_contradictions_and_interactions(tenant):
    graph = medical_graph(tenant)
    findings = ["condition:I10", "condition:I95.9", "symptom:fever", "unknown:key"]
    pairs = selectors.nodes_linked_by(graph, findings, "contradicts")
    assert [(p["source"], p["target"]) for p in pairs] == [("condition:I10", "condition:I95.9")]
    # Order of the input does not matter for an undirected check.
    reverse = selectors.nodes_linked_by(graph, list(reversed(findings)), "contradicts")
    assert {frozenset((p["source"], p["target"])) for p in reverse} == {
        frozenset(("condition:I10", "condition:I95.9"))
    }
    drugs = ["drug:warfarin", "drug:aspirin", "drug:metformin"]
    interactions = selectors.nodes_linked_by(graph, drugs, "interacts_with")
    assert interactions == [
        {
            "source": "drug:warfarin",
            "target": "drug:aspirin",
            "type": "interacts_with",
            "properties": {"effect": "increased bleeding risk"},
        }
    ]
    assert selectors.nodes_linked_by(graph, ["drug:metformin"], "interacts_with") == []


def test_a_product_question_reaches_its_policies(tenant):
    graph = shop_graph(tenant)
    hood = selectors.graph_khop(graph, "product:pathfinder-gps", 2, direction="out")
    policies = {k for k, a in hood.nodes.items() if a["type"] == "policy"}
    assert {"policy:returns-electronics", "policy:warranty-standard", "policy:payment"} <= policies
    assert "policy:returns-30-days" not in policies  # electronics have their own return rules
