"""Reads of knowledge graphs (HackSoft selectors), re-exported for ``knowledge.selectors``."""

from .exports import ExportFile, graph_export
from .linking import METHODS as LINK_METHODS
from .linking import entity_link
from .queries import (
    NodeNotFound,
    edges_of,
    graph_components,
    graph_get,
    graph_khop,
    graph_networkx,
    graph_pagerank,
    graph_shortest_path,
    graph_version,
    graphs_of,
    graphs_visible_to,
    neighbourhood_as_elements,
    node_neighbours,
    nodes_linked_by,
    nodes_of,
)
from .retrieval import knowledge_search

__all__ = [
    "ExportFile",
    "LINK_METHODS",
    "NodeNotFound",
    "edges_of",
    "entity_link",
    "graph_components",
    "graph_export",
    "graph_get",
    "graph_khop",
    "graph_networkx",
    "graph_pagerank",
    "graph_shortest_path",
    "graph_version",
    "graphs_of",
    "graphs_visible_to",
    "knowledge_search",
    "neighbourhood_as_elements",
    "node_neighbours",
    "nodes_linked_by",
    "nodes_of",
]
