"""Small graphs for tests, made through the services (so versions and caches behave)."""

from __future__ import annotations

from knowledge import cache, services

TRIANGLE_NODES = [
    {"key": "a", "type": "person", "label": "Alice", "aliases": ["Ally"]},
    {"key": "b", "type": "person", "label": "Bob", "properties": {"city": "Oslo"}},
    {"key": "c", "type": "device", "label": "Phone C"},
    {"key": "d", "type": "device", "label": "Laptop D"},
    {"key": "e", "type": "person", "label": "Eve"},
]
TRIANGLE_EDGES = [
    {"source": "a", "target": "b", "type": "knows", "weight": 1.0},
    {"source": "b", "target": "c", "type": "uses", "weight": 2.0},
    {"source": "a", "target": "c", "type": "uses", "weight": 5.0},
    {"source": "c", "target": "d", "type": "paired", "weight": 1.0},
    {"source": "b", "target": "a", "type": "knows", "weight": 1.0, "properties": {"since": 2020}},
]


def small_graph(tenant, name: str = "small", **fields):
    """A five-node graph: people a, b, e; devices c, d (e is isolated)."""
    graph = services.graph_create(tenant=tenant, name=name, **fields)
    services.graph_upsert(graph=graph, nodes=TRIANGLE_NODES, edges=TRIANGLE_EDGES)
    graph.refresh_from_db()
    cache.forget(graph.pk)
    return graph


def medical_graph(tenant):
    graph, _ = services.seed_graph_ensure(tenant=tenant, seed="medical")
    return graph


def shop_graph(tenant):
    graph, _ = services.seed_graph_ensure(tenant=tenant, seed="customer_service")
    return graph
