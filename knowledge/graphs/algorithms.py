"""The reasoning queries on a networkx MultiDiGraph whose edges are keyed by their type.

Node keys are the networkx node ids. ``edge_types`` (None: all) restricts which edges count;
``direction`` is ``out`` (follow edges forwards), ``in`` (backwards) or ``both``. The hot
paths (neighbours, k-hop) read networkx's adjacency dicts directly: a neighbourhood query runs
per request and must cost no more than ``networkx.ego_graph`` itself (see bench_knowledge).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass, field

import networkx as nx

DIRECTIONS = ("out", "in", "both")


class NodeNotFound(KeyError):
    """A node key that the graph does not hold."""

    def __init__(self, key):
        super().__init__(key)
        self.key = key

    def __str__(self) -> str:
        return f"no node with key {self.key!r}"


def _require(graph: nx.MultiDiGraph, key) -> None:
    if key not in graph._node:
        raise NodeNotFound(key)


def _adjacencies(graph: nx.MultiDiGraph, direction: str):
    if direction not in DIRECTIONS:
        raise ValueError(f"direction must be one of {', '.join(DIRECTIONS)}")
    # networkx's own dicts: {node: {neighbour: {edge key (= type): attrs}}}.
    if direction == "out":
        return ((graph._succ, "out"),)
    if direction == "in":
        return ((graph._pred, "in"),)
    return ((graph._succ, "out"), (graph._pred, "in"))


def neighbours(
    graph: nx.MultiDiGraph,
    key,
    *,
    edge_types: Collection[str] | None = None,
    direction: str = "both",
) -> list[dict]:
    """One row per (neighbour, edge): ``{"key", "edge_type", "direction", "weight"}``."""
    _require(graph, key)
    rows = []
    for adjacency, label in _adjacencies(graph, direction):
        for other, keyed in adjacency[key].items():
            for edge_type, attrs in keyed.items():
                if edge_types is None or edge_type in edge_types:
                    rows.append(
                        {
                            "key": other,
                            "edge_type": edge_type,
                            "direction": label,
                            "weight": attrs.get("weight", 1.0),
                        }
                    )
    return rows


@dataclass
class Neighbourhood:
    """A node set and the edges among it (what ``networkx.ego_graph`` returns, as plain data)."""

    center: object
    nodes: dict = field(default_factory=dict)  # key -> attributes
    distance: dict = field(default_factory=dict)  # key -> hops from the center
    edges: list = field(default_factory=list)  # (source, target, type, attributes)
    version: int | None = None  # the graph version it was read from (set by the selector)

    def to_networkx(self) -> nx.MultiDiGraph:
        out = nx.MultiDiGraph()
        out.add_nodes_from(self.nodes.items())
        out.add_edges_from((s, t, k, dict(a)) for s, t, k, a in self.edges)
        return out


def khop(
    graph: nx.MultiDiGraph,
    key,
    k: int = 2,
    *,
    edge_types: Collection[str] | None = None,
    direction: str = "out",
    max_nodes: int | None = None,
) -> Neighbourhood:
    """Nodes within ``k`` hops of ``key`` and every edge among them (of the chosen types).

    With ``direction="out"`` and no type filter this is exactly ``nx.ego_graph(graph, key, k)``
    on a directed graph. ``max_nodes`` stops the search early (a hub's 2-hop set can be the
    whole graph; the drawing does not need it all).
    """
    _require(graph, key)
    adjacencies = [adj for adj, _ in _adjacencies(graph, direction)]
    distance = {key: 0}
    frontier = [key]
    for hop in range(1, k + 1):
        following = []
        for node in frontier:
            for adjacency in adjacencies:
                for other, keyed in adjacency[node].items():
                    if other in distance:
                        continue
                    if edge_types is not None and not any(t in edge_types for t in keyed):
                        continue
                    distance[other] = hop
                    following.append(other)
        frontier = following
        if not frontier or (max_nodes and len(distance) >= max_nodes):
            break
    if max_nodes and len(distance) > max_nodes:
        distance = dict(sorted(distance.items(), key=lambda item: item[1])[:max_nodes])
    node_attrs = graph._node
    succ = graph._succ
    edges = []
    for node in distance:
        for other, keyed in succ[node].items():
            if other in distance:
                for edge_type, attrs in keyed.items():
                    if edge_types is None or edge_type in edge_types:
                        edges.append((node, other, edge_type, attrs))
    return Neighbourhood(key, {n: node_attrs[n] for n in distance}, distance, edges)


def _weight_function(edge_types, weighted: bool):
    def weight(u, v, keyed):
        best = None
        for edge_type, attrs in keyed.items():
            if edge_types is not None and edge_type not in edge_types:
                continue
            cost = float(attrs.get("weight", 1.0)) if weighted else 1.0
            best = cost if best is None else min(best, cost)
        return best  # None hides the edge from networkx's Dijkstra

    return weight


def shortest_path(
    graph: nx.MultiDiGraph,
    source,
    target,
    *,
    edge_types: Collection[str] | None = None,
    directed: bool = False,
    weighted: bool = False,
) -> list | None:
    """The node keys of a shortest path, or None if there is none. ``weighted`` sums edge
    weights (as costs); otherwise each hop counts 1."""
    _require(graph, source)
    _require(graph, target)
    view = graph if directed else graph.to_undirected(as_view=True)
    try:
        return nx.shortest_path(
            view, source, target, weight=_weight_function(edge_types, weighted), method="dijkstra"
        )
    except nx.NetworkXNoPath:
        return None


def path_edges(
    graph: nx.MultiDiGraph, path: list, *, edge_types: Collection[str] | None = None
) -> list[dict]:
    """The edge used for each hop of ``path`` (either direction), for showing the path."""
    hops = []
    for u, v in zip(path, path[1:], strict=False):
        for source, target in ((u, v), (v, u)):
            keyed = graph._succ[source].get(target, {})
            chosen = [t for t in keyed if edge_types is None or t in edge_types]
            if chosen:
                hops.append({"source": source, "target": target, "type": chosen[0]})
                break
    return hops


def _filtered_undirected(graph: nx.MultiDiGraph, edge_types) -> nx.Graph:
    simple = nx.Graph()
    simple.add_nodes_from(graph)
    simple.add_edges_from(
        (u, v)
        for u, v, edge_type in graph.edges(keys=True)
        if edge_types is None or edge_type in edge_types
    )
    return simple


def components(
    graph: nx.MultiDiGraph,
    *,
    edge_types: Collection[str] | None = None,
    min_size: int = 2,
) -> list[list]:
    """Weakly connected components over the chosen edge types, largest first (fraud rings:
    accounts joined through shared devices, cards or phones)."""
    found = [
        sorted(component, key=str)
        for component in nx.connected_components(_filtered_undirected(graph, edge_types))
        if len(component) >= min_size
    ]
    found.sort(key=lambda c: (-len(c), str(c[0])))
    return found


def pagerank(
    graph: nx.MultiDiGraph,
    *,
    edge_types: Collection[str] | None = None,
    alpha: float = 0.85,
    top: int = 20,
) -> list[tuple]:
    """(key, score) for the ``top`` nodes by PageRank over the chosen edge types (weighted)."""
    if graph.number_of_nodes() == 0:
        return []
    view = graph
    if edge_types is not None:
        allowed = set(edge_types)
        view = nx.subgraph_view(graph, filter_edge=lambda u, v, k: k in allowed)
    scores = nx.pagerank(view, alpha=alpha, weight="weight")
    return sorted(scores.items(), key=lambda item: (-item[1], str(item[0])))[:top]


def linked_by(
    graph: nx.MultiDiGraph,
    keys: Iterable,
    edge_type: str,
    *,
    directed: bool = False,
) -> list[dict]:
    """Pairs among ``keys`` joined by an edge of ``edge_type`` — contradictions between findings,
    interactions between prescribed drugs. Unknown keys are ignored (nothing links them)."""
    wanted = [key for key in dict.fromkeys(keys) if key in graph._node]
    members = set(wanted)
    pairs = []
    for source in wanted:
        for target, keyed in graph._succ[source].items():
            if target in members and edge_type in keyed:
                pairs.append(
                    {
                        "source": source,
                        "target": target,
                        "type": edge_type,
                        "properties": keyed[edge_type].get("properties", {}),
                    }
                )
    if not directed:  # one row per linked pair, whichever way the edge points
        unique, seen = [], set()
        for pair in pairs:
            ident = frozenset((pair["source"], pair["target"]))
            if ident not in seen:
                seen.add(ident)
                unique.append(pair)
        pairs = unique
    return pairs
