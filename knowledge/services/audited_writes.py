"""A user's writes to a tenant's graphs (the API's): each is one of the plain writes of
graphs.py and jobs.py inside one ``audited`` block, so the rows and their audit event commit
together and a failed write records its error event.

The plain writes record nothing themselves: the verticals that fill graphs (a fraud graph, a
vocabulary, a document index) and the admin call them inside actions of their own.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from apps.audit.services import audited
from apps.jobs.models import Job
from knowledge.models import Graph

from .graphs import (
    WriteResult,
    graph_create,
    graph_delete,
    graph_update,
    graph_upsert,
    nodes_delete,
)
from .jobs import graph_import_check, graph_import_start, node_embeddings_start

RESOURCE_TYPE = "knowledge.graph"
# Keys named in an audit event of a graph change (the graphs behind safety checks, such as a
# drug-allergy graph, must show which keys changed); more are counted, not listed.
MAX_AUDITED_KEYS = 100


def changed_keys(*, nodes: Iterable[Mapping] = (), edges: Iterable[Mapping] = ()) -> dict:
    """The node keys and edge triples a write touches, for its audit event (bounded)."""
    node_keys = [str(n.get("key")) for n in nodes or []]
    edge_triples = [f"{e.get('source')}-{e.get('type')}->{e.get('target')}" for e in edges or []]
    return {
        "domain_keys": (node_keys + edge_triples)[:MAX_AUDITED_KEYS],
        "keys_total": len(node_keys) + len(edge_triples),
    }


def graph_create_audited(*, tenant, **fields) -> Graph:
    """``graph_create``, audited as ``knowledge.graph.create``."""
    with audited(
        tenant=tenant, action="knowledge.graph.create", resource_type=RESOURCE_TYPE
    ) as event:
        graph = graph_create(tenant=tenant, **fields)
        event.resource_id = str(graph.public_id)
    return graph


def graph_update_audited(*, tenant, graph: Graph, **fields) -> Graph:
    """``graph_update``, audited as ``knowledge.graph.update``."""
    with audited(
        tenant=tenant,
        action="knowledge.graph.update",
        resource_type=RESOURCE_TYPE,
        resource_id=str(graph.public_id),
    ):
        return graph_update(graph=graph, **fields)


def graph_delete_audited(*, tenant, graph: Graph) -> None:
    """``graph_delete``, audited as ``knowledge.graph.delete``."""
    with audited(
        tenant=tenant,
        action="knowledge.graph.delete",
        resource_type=RESOURCE_TYPE,
        resource_id=str(graph.public_id),
    ):
        graph_delete(graph=graph)


def graph_import_start_audited(*, tenant, graph: Graph, fmt: str, files: Mapping[str, str]) -> Job:
    """Check the files (``GraphValidationError`` at once: nothing is kept, queued or audited),
    then ``graph_import_start``, audited as ``knowledge.graph.import.start`` (the job that runs
    the import reports its own outcome)."""
    graph_import_check(graph=graph, fmt=fmt, files=files)
    with audited(
        tenant=tenant,
        action="knowledge.graph.import.start",
        resource_type=RESOURCE_TYPE,
        resource_id=str(graph.public_id),
    ):
        return graph_import_start(graph=graph, fmt=fmt, files=files)


def graph_upsert_audited(
    *, tenant, graph: Graph, nodes: Iterable[Mapping] = (), edges: Iterable[Mapping] = ()
) -> WriteResult:
    """``graph_upsert``, audited as ``knowledge.graph.upsert`` with the keys it touches and the
    number of records written."""
    with audited(
        tenant=tenant,
        action="knowledge.graph.upsert",
        resource_type=RESOURCE_TYPE,
        resource_id=str(graph.public_id),
        details=changed_keys(nodes=nodes, edges=edges),
    ) as event:
        result = graph_upsert(graph=graph, nodes=nodes, edges=edges)
        event.row_count = result.nodes + result.edges
    return result


def nodes_delete_audited(*, tenant, graph: Graph, keys: list[str]) -> int:
    """``nodes_delete``, audited as ``knowledge.graph.delete_nodes`` with the keys asked for and
    the number deleted. ``graph.version`` is the stored one afterwards."""
    with audited(
        tenant=tenant,
        action="knowledge.graph.delete_nodes",
        resource_type=RESOURCE_TYPE,
        resource_id=str(graph.public_id),
        details=changed_keys(nodes=[{"key": key} for key in keys]),
    ) as event:
        deleted = nodes_delete(graph=graph, keys=keys)
        event.row_count = deleted
    graph.refresh_from_db(fields=["version"])
    return deleted


def node_embeddings_start_audited(*, tenant, graph: Graph) -> Job:
    """``node_embeddings_start``, audited as ``knowledge.graph.embeddings.start``."""
    with audited(
        tenant=tenant,
        action="knowledge.graph.embeddings.start",
        resource_type=RESOURCE_TYPE,
        resource_id=str(graph.public_id),
    ):
        return node_embeddings_start(graph=graph)
