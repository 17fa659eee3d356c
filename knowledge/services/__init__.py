"""Writes to knowledge graphs (HackSoft services): each bumps the graph's version when it
changes rows. Re-exported here so callers import ``knowledge.services``."""

from .graphs import (
    WriteResult,
    graph_create,
    graph_delete,
    graph_ensure,
    graph_import,
    graph_update,
    graph_upsert,
    graph_version_bump,
    nodes_delete,
    records_write,
)
from .jobs import (
    graph_import_check,
    graph_import_start,
    node_embeddings_compute,
    node_embeddings_start,
    stale_embeddings,
)
from .seeds import SEEDS, seed_graph_ensure, seed_graphs_load

__all__ = [
    "SEEDS",
    "WriteResult",
    "graph_create",
    "graph_delete",
    "graph_ensure",
    "graph_import",
    "graph_import_check",
    "graph_import_start",
    "graph_update",
    "graph_upsert",
    "graph_version_bump",
    "node_embeddings_compute",
    "node_embeddings_start",
    "nodes_delete",
    "records_write",
    "seed_graph_ensure",
    "seed_graphs_load",
    "stale_embeddings",
]
