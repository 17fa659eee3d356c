"""Writes to knowledge graphs (HackSoft services): each bumps the graph's version when it
changes rows. Re-exported here so callers import ``knowledge.services``."""

from .audited_writes import (
    graph_create_audited,
    graph_delete_audited,
    graph_import_start_audited,
    graph_update_audited,
    graph_upsert_audited,
    node_embeddings_start_audited,
    nodes_delete_audited,
)
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
    upload_import,
)
from .seeds import SEEDS, seed_graph_ensure, seed_graphs_load

__all__ = [
    "nodes_delete_audited",
    "node_embeddings_start_audited",
    "graph_upsert_audited",
    "graph_update_audited",
    "graph_import_start_audited",
    "graph_delete_audited",
    "graph_create_audited",
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
    "upload_import",
]
