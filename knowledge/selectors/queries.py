"""Reads: tenant-scoped querysets, and the graph queries over the cached networkx copy.

Every query takes a Graph row the caller already scoped to its tenant (``graph_get`` or a
tenant-scoped view), so the query itself makes no database round trip beyond the version check
of ``knowledge.cache``. Unknown node keys raise ``NodeNotFound``.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable

import networkx as nx
from django.db.models import Q

from apps.accounts.authz import readable_domains
from apps.accounts.models import Membership
from apps.accounts.selectors import tenants_of
from knowledge import cache
from knowledge.graphs import algorithms
from knowledge.graphs.algorithms import Neighbourhood, NodeNotFound
from knowledge.models import Edge, Graph, Node

__all__ = ["NodeNotFound"]


def graphs_of(*, tenant):
    return Graph.objects.filter(tenant=tenant).order_by("name")


def graphs_visible_to(user):
    """Graphs of the user's active tenants in the domains its role there reads (all for
    superusers): what the neighbourhood page may draw for a signed-in user."""
    if user.is_superuser:
        return Graph.objects.all()
    visible = Q(pk__in=[])
    for membership in Membership.objects.filter(user=user, tenant__in=tenants_of(user)):
        visible |= Q(tenant_id=membership.tenant_id, domain__in=readable_domains(membership.role))
    return Graph.objects.filter(visible)


def graph_get(*, tenant, graph_id=None, name: str | None = None) -> Graph:
    """The tenant's graph by id or name (Graph.DoesNotExist otherwise, even if another tenant
    has it)."""
    lookup = {"pk": graph_id} if graph_id is not None else {"name": name}
    return graphs_of(tenant=tenant).get(**lookup)


def nodes_of(*, tenant):
    return Node.objects.filter(graph__tenant=tenant).order_by("graph_id", "key")


def edges_of(*, tenant):
    return Edge.objects.filter(graph__tenant=tenant).order_by("graph_id", "id")


def graph_networkx(graph: Graph) -> nx.MultiDiGraph:
    """The graph as a networkx MultiDiGraph (node id = key; edge key = type), current to its
    version. Shared by every caller in this process: treat it as read-only."""
    return cache.cached_graph(graph).graph


def graph_version(graph: Graph) -> int:
    return cache.cached_graph(graph).version


def node_neighbours(
    graph: Graph,
    key: str,
    *,
    edge_types: Collection[str] | None = None,
    direction: str = "both",
) -> list[dict]:
    """Neighbours of ``key`` through edges of ``edge_types``, in ``direction``, with labels."""
    g = graph_networkx(graph)
    rows = algorithms.neighbours(g, key, edge_types=edge_types, direction=direction)
    for row in rows:
        attrs = g._node[row["key"]]
        row["label"], row["type"] = attrs.get("label", ""), attrs.get("type", "")
    return rows


def graph_khop(
    graph: Graph,
    key: str,
    k: int = 2,
    *,
    edge_types: Collection[str] | None = None,
    direction: str = "out",
    max_nodes: int | None = None,
) -> Neighbourhood:
    """The ``k``-hop neighbourhood of ``key`` (nodes and the edges among them)."""
    entry = cache.cached_graph(graph)
    hood = algorithms.khop(
        entry.graph, key, k, edge_types=edge_types, direction=direction, max_nodes=max_nodes
    )
    hood.version = entry.version
    return hood


def graph_shortest_path(
    graph: Graph,
    source: str,
    target: str,
    *,
    edge_types: Collection[str] | None = None,
    directed: bool = False,
    weighted: bool = False,
) -> dict:
    """``{"path": [keys] or None, "edges": [...]}``."""
    g = graph_networkx(graph)
    path = algorithms.shortest_path(
        g, source, target, edge_types=edge_types, directed=directed, weighted=weighted
    )
    edges = algorithms.path_edges(g, path, edge_types=edge_types) if path else []
    return {"path": path, "edges": edges}


def graph_components(
    graph: Graph, *, edge_types: Collection[str] | None = None, min_size: int = 2
) -> list[list[str]]:
    return algorithms.components(graph_networkx(graph), edge_types=edge_types, min_size=min_size)


def graph_pagerank(
    graph: Graph, *, edge_types: Collection[str] | None = None, top: int = 20, alpha: float = 0.85
) -> list[tuple[str, float]]:
    return algorithms.pagerank(graph_networkx(graph), edge_types=edge_types, top=top, alpha=alpha)


def nodes_linked_by(
    graph: Graph, keys: Iterable[str], edge_type: str, *, directed: bool = False
) -> list[dict]:
    """Which of ``keys`` are joined by an edge of ``edge_type`` (e.g. ``contradicts``,
    ``interacts_with``)."""
    return algorithms.linked_by(graph_networkx(graph), keys, edge_type, directed=directed)


def neighbourhood_as_elements(graph: Graph, hood: Neighbourhood) -> dict:
    """A neighbourhood as JSON for the API and the drawing (cytoscape's element lists)."""
    return {
        "graph": graph.name,
        "graph_id": str(graph.public_id),
        "version": hood.version,
        "center": hood.center,
        "nodes": [
            {
                "key": key,
                "label": attrs.get("label", ""),
                "type": attrs.get("type", ""),
                "distance": hood.distance[key],
            }
            for key, attrs in hood.nodes.items()
        ],
        "edges": [
            {"source": s, "target": t, "type": k, "weight": a.get("weight", 1.0)}
            for s, t, k, a in hood.edges
        ],
    }
