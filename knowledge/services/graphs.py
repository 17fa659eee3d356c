"""Writes to graphs. Every write that changes rows bumps the graph's version (in the same
transaction), which is what makes every process's cached networkx copy rebuild."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from knowledge import cache
from knowledge.graphs.formats import parse
from knowledge.graphs.records import EdgeRecord, NodeRecord
from knowledge.graphs.validation import Problems, check_batch, edge_record, node_record
from knowledge.models import Domain, Edge, Graph, Node, graph_sql_param

from .bulk import _chunks, edges_write, nodes_write

# Rows per COPY statement group (bounds the temporary tables' size).
WRITE_CHUNK = 500_000
NODE_FIELDS = {"key", "type", "label", "aliases", "properties"}
EDGE_FIELDS = {"source", "target", "type", "weight", "properties"}


@dataclass
class WriteResult:
    """What a batch write did: records received, rows inserted or changed, the version after."""

    nodes: int
    edges: int
    nodes_changed: int
    edges_changed: int
    version: int

    def as_dict(self) -> dict:
        return dict(self.__dict__)


def graph_version_bump(*, graph_id) -> int:
    """Add one to the graph's version (inside the caller's transaction) and, on commit, make
    this process re-read it at once. Returns the new version."""
    Graph.objects.filter(pk=graph_id).update(version=F("version") + 1, updated_at=timezone.now())
    cache.note_write(graph_id)
    return Graph.objects.values_list("version", flat=True).get(pk=graph_id)


def graph_create(
    *,
    tenant,
    name: str,
    domain: str = Domain.GENERAL,
    description: str = "",
    schema: dict | None = None,
) -> Graph:
    """A new, empty graph of ``tenant`` (names are unique per tenant)."""
    return Graph.objects.create(
        tenant=tenant, name=name, domain=domain, description=description, schema=schema or {}
    )


def graph_update(*, graph: Graph, **fields) -> Graph:
    """Change a graph's name, domain, description or schema (a schema change bumps the
    version: validation of later writes depends on it)."""
    allowed = {"name", "domain", "description", "schema"}
    unknown = set(fields) - allowed
    if unknown:
        raise TypeError(f"graph_update cannot change {', '.join(sorted(unknown))}")
    with transaction.atomic():
        for name, value in fields.items():
            setattr(graph, name, value)
        graph.save(update_fields=[*fields, "updated_at"])
        if "schema" in fields:
            graph.version = graph_version_bump(graph_id=graph.pk)
    return graph


def graph_delete(*, graph: Graph) -> None:
    """Delete a graph with its nodes and edges.

    Edges and nodes go first in two set-based DELETEs: left to Django's collector, a large
    graph's nodes would be loaded into memory one object each to cascade to their edges.
    """
    graph_id = graph.pk
    with transaction.atomic():
        Graph.objects.select_for_update().filter(pk=graph_id).values_list("pk").get()
        with connection.cursor() as cursor:
            for table in ("knowledge_edge", "knowledge_node"):
                cursor.execute(
                    f"DELETE FROM {table} WHERE graph_id = %s", [graph_sql_param(graph_id)]
                )
        graph.delete()
    transaction.on_commit(lambda: cache.forget(graph_id))


def schema_merge(current: dict, wanted: dict) -> dict:
    """``current`` widened to accept everything ``wanted`` accepts (node types, edge types and
    their endpoint types). Two callers ensuring one graph with different schemas then agree
    instead of replacing each other's schema on every call."""
    merged = {
        "node_types": list(
            dict.fromkeys([*current.get("node_types", []), *wanted.get("node_types", [])])
        ),
        "edge_types": {k: [list(e) for e in v] for k, v in current.get("edge_types", {}).items()},
    }
    for name, ends in wanted.get("edge_types", {}).items():
        if name not in merged["edge_types"]:
            merged["edge_types"][name] = [list(e) for e in ends]
            continue
        have = merged["edge_types"][name] + [[], []]
        ends = list(ends) + [[], []]
        merged["edge_types"][name] = [
            # An empty list means "any type": merging with it stays "any".
            [] if not have[i] or not ends[i] else list(dict.fromkeys([*have[i], *ends[i]]))
            for i in (0, 1)
        ]
    return {key: value for key, value in merged.items() if value}


def graph_ensure(
    *, tenant, name: str, domain: str, description: str = "", schema: dict | None = None
) -> Graph:
    """The tenant's graph named ``name``, created if missing (idempotent). An existing graph's
    schema is widened to accept ``schema`` too (``schema_merge``), never narrowed."""
    graph, created = Graph.objects.get_or_create(
        tenant=tenant,
        name=name,
        defaults={"domain": domain, "description": description, "schema": schema or {}},
    )
    if not created and schema:
        merged = schema_merge(graph.schema or {}, schema)
        if merged != graph.schema:
            graph = graph_update(graph=graph, schema=merged)
    return graph


def node_types_of(graph_id, keys: Iterable[str]) -> dict[str, str]:
    """Stored node key -> type for those of ``keys`` the graph holds."""
    found: dict[str, str] = {}
    for chunk in _chunks(list(keys), 1000):
        found.update(
            Node.objects.filter(graph_id=graph_id, key__in=chunk).values_list("key", "type")
        )
    return found


def records_write(
    *,
    graph: Graph,
    nodes: list[NodeRecord],
    edges: list[EdgeRecord],
    problems: Problems | None = None,
    progress: Callable | None = None,
) -> WriteResult:
    """Validate a batch as a whole, then upsert it in one transaction (all or nothing).

    Raises GraphValidationError (naming file, line and field) before writing anything.
    """
    problems = problems or Problems()
    problems.raise_if_any()
    check_batch(
        nodes,
        edges,
        problems=problems,
        schema=graph.schema,
        existing_types=lambda keys: node_types_of(graph.pk, keys),
    )
    problems.raise_if_any()
    total = len(nodes) + len(edges)
    # All or nothing means one transaction, and what a transaction writes is invisible to
    # others until it commits: progress is therefore reported around it (validated, written),
    # never from inside, where a job's progress row would stay hidden until the end.
    if progress:
        progress(0, total, f"validated {len(nodes)} nodes and {len(edges)} edges; writing")
    with transaction.atomic():
        # One writer per graph at a time: versions and upserts never interleave.
        Graph.objects.select_for_update().filter(pk=graph.pk).values_list("pk").get()
        nodes_changed = edges_changed = 0
        for chunk in _chunks(nodes, WRITE_CHUNK):
            nodes_changed += nodes_write(graph.pk, chunk)
        for chunk in _chunks(edges, WRITE_CHUNK):
            edges_changed += edges_write(graph.pk, chunk)
        if nodes_changed or edges_changed:
            graph.version = graph_version_bump(graph_id=graph.pk)
        else:
            graph.refresh_from_db(fields=["version"])
    if progress:
        progress(total, total, "written")
    return WriteResult(len(nodes), len(edges), nodes_changed, edges_changed, graph.version)


def graph_import(
    *, graph: Graph, fmt: str, files: Mapping[str, str], progress: Callable | None = None
) -> WriteResult:
    """Import files (node-link JSON, CSV or GraphML) into ``graph``: upserts by key, all or
    nothing, with problems that name file, line and field."""
    problems = Problems()
    nodes, edges = parse(fmt, files, problems)
    return records_write(
        graph=graph, nodes=nodes, edges=edges, problems=problems, progress=progress
    )


def graph_upsert(
    *,
    graph: Graph,
    nodes: Iterable[Mapping] = (),
    edges: Iterable[Mapping] = (),
) -> WriteResult:
    """Bulk upsert from Python: ``nodes`` as ``{"key", "type", "label"?, "aliases"?,
    "properties"?}``, ``edges`` as ``{"source", "target", "type", "weight"?, "properties"?}``
    (endpoints may be in ``nodes`` or already stored). Idempotent. The financial-risk vertical
    fills its fraud graph this way; problems name ``nodes`` or ``edges`` and the item number."""
    problems = Problems()
    node_records, edge_records = [], []
    for kind, items, fields, build, out in (
        ("nodes", nodes, NODE_FIELDS, node_record, node_records),
        ("edges", edges, EDGE_FIELDS, edge_record, edge_records),
    ):
        for number, raw in enumerate(items, start=1):
            if not isinstance(raw, Mapping):
                problems.add(kind, number, kind, "each item must be an object")
                continue
            for unknown in sorted(set(raw) - fields):
                problems.add(kind, number, unknown, "unknown field")
            record = build(dict(raw), file=kind, line=number, problems=problems)
            if record is not None:
                out.append(record)
    return records_write(graph=graph, nodes=node_records, edges=edge_records, problems=problems)


def nodes_delete(*, graph: Graph, keys: Iterable[str]) -> int:
    """Delete nodes by key (their edges go with them); the number of nodes deleted."""
    keys = list(keys)
    with transaction.atomic():
        Graph.objects.select_for_update().filter(pk=graph.pk).values_list("pk").get()
        deleted = 0
        for chunk in _chunks(keys, 1000):
            ids = list(Node.objects.filter(graph=graph, key__in=chunk).values_list("id", flat=True))
            Edge.objects.filter(graph=graph, source_id__in=ids).delete()
            Edge.objects.filter(graph=graph, target_id__in=ids).delete()
            deleted += Node.objects.filter(id__in=ids).delete()[1].get(Node._meta.label, 0)
        if deleted:
            graph.version = graph_version_bump(graph_id=graph.pk)
    return deleted
