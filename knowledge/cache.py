"""The per-process networkx copy of each graph, keyed by the graph's version.

A read asks ``cached_graph(graph)``: it returns the MultiDiGraph built for the graph's current
version, rebuilding it from the database only when the version changed. Finding the current
version is the cost every query pays, so it is cheap by design:

* a write made through ``knowledge.services`` in this process marks the graph as unchecked when
  its transaction commits, so this process sees its own writes at once; inside the writing
  transaction itself, reads of that graph get a private copy built from the database (it sees
  the uncommitted rows, and is never shared: a rollback must not leave them in the cache);
* otherwise the version is read from the database (one primary-key lookup of one column) at
  most every ``KNOWLEDGE_VERSION_CHECK_S`` seconds per graph (default 1 s; 0 = on every query).
  A write committed by another process is therefore seen within that interval.

bench_knowledge measures both settings (``neighbourhood_over_networkx`` with the default and
``neighbourhood_over_networkx_strict`` with 0). Other per-version structures (the search index,
the entity linker) hang off the same entry through ``extra`` and die with it.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

import networkx as nx
from django.conf import settings
from django.db import connection, transaction

from knowledge.models import graph_key, graph_sql_param

DEFAULT_CHECK_INTERVAL_S = 1.0


@dataclass
class CachedGraph:
    graph_id: uuid.UUID
    version: int
    graph: nx.MultiDiGraph
    node_ids: dict  # node key -> Node.pk
    built_s: float
    extra: dict = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def derived(self, name: str, build: Callable):
        """A structure derived from this version (built once, on first use)."""
        value = self.extra.get(name)
        if value is None:
            with self.lock:
                value = self.extra.get(name)
                if value is None:
                    value = build(self)
                    self.extra[name] = value
        return value


# Keyed by ``graph_key`` (a UUID), whatever form of the id a caller passes.
_entries: dict[uuid.UUID, CachedGraph] = {}
_checked: dict[uuid.UUID, tuple[float, int]] = {}  # graph id -> (monotonic time, version seen)
_build_locks: dict[int, threading.Lock] = {}
_guard = threading.Lock()


def check_interval_s() -> float:
    return float(getattr(settings, "KNOWLEDGE_VERSION_CHECK_S", DEFAULT_CHECK_INTERVAL_S))


def _version_in_database(graph_id: uuid.UUID) -> int | None:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT version FROM knowledge_graph WHERE public_id = %s", [graph_sql_param(graph_id)]
        )
        row = cursor.fetchone()
    return row[0] if row else None


def current_version(graph_id) -> int | None:
    """The graph's version, from the database at most every check interval."""
    graph_id = graph_key(graph_id)
    now = time.monotonic()
    seen = _checked.get(graph_id)
    if seen is not None and now - seen[0] < check_interval_s():
        return seen[1]
    version = _version_in_database(graph_id)
    if version is not None:
        _checked[graph_id] = (now, version)
    return version


_pending = threading.local()  # graph ids written in this thread's open transaction


def _pending_ids() -> set:
    ids = getattr(_pending, "ids", None)
    if ids is None:
        ids = _pending.ids = set()
    return ids


def note_write(graph_id) -> None:
    """Called by services inside the transaction that wrote ``graph_id``'s rows."""
    graph_id = graph_key(graph_id)
    ids = _pending_ids()
    ids.add(graph_id)

    def committed() -> None:
        ids.discard(graph_id)
        invalidate(graph_id)

    transaction.on_commit(committed)


def _written_in_open_transaction(graph_id: uuid.UUID) -> bool:
    ids = _pending_ids()
    if graph_id not in ids:
        return False
    if connection.in_atomic_block:
        return True
    ids.discard(graph_id)  # the transaction rolled back (a commit would have removed it)
    invalidate(graph_id)
    return False


def invalidate(graph_id) -> None:
    """Forget when the version was last read: the next query reads it again. Services call
    this on commit of every write (so this process never serves its own stale graph)."""
    _checked.pop(graph_key(graph_id), None)


def forget(graph_id=None) -> None:
    """Drop cached graphs (all of them without an id); tests and deleted graphs use it."""
    graph_id = None if graph_id is None else graph_key(graph_id)
    with _guard:
        if graph_id is None:
            _entries.clear()
            _checked.clear()
        else:
            _entries.pop(graph_id, None)
            _checked.pop(graph_id, None)


def cached_graph(graph) -> CachedGraph:
    """The networkx copy of ``graph`` (a Graph row or its id) for its current version."""
    graph_id = graph_key(graph)
    if _written_in_open_transaction(graph_id):
        version = _version_in_database(graph_id)
        if version is None:
            raise LookupError(f"graph {graph_id} does not exist")
        return build(graph_id, version)
    version = current_version(graph_id)
    if version is None:
        forget(graph_id)
        raise LookupError(f"graph {graph_id} does not exist")
    entry = _entries.get(graph_id)
    if entry is not None and entry.version == version:
        return entry
    with _guard:
        lock = _build_locks.setdefault(graph_id, threading.Lock())
    with lock:  # one build per graph at a time; the others wait for it and share it
        entry = _entries.get(graph_id)
        if entry is not None and entry.version == version:
            return entry
        entry = build(graph_id, version)
        _entries[graph_id] = entry
        return entry


def _json(value, empty):
    """A JSON column's value from a raw cursor: text (PostgreSQL jsonb through Django's
    psycopg setup, SQLite) or already decoded; the empty case skips the decoder."""
    if value is None:
        return empty
    if isinstance(value, str):
        return empty if value in ("{}", "[]") else json.loads(value)
    return value


def build(graph_id: uuid.UUID, version: int) -> CachedGraph:
    """Load a graph's nodes and edges into a MultiDiGraph (edges keyed by their type).

    The version was read before the rows, so the rows are at least that new: a write that
    lands in between only makes the next check rebuild once more, never serve stale rows as new.
    Rows come through a raw cursor: the ORM's per-row conversion doubled the load time of a
    250,000-edge graph.
    """
    started = time.perf_counter()
    graph = nx.MultiDiGraph()
    key_of: dict[int, str] = {}
    node_ids: dict[str, int] = {}
    nodes = []
    with connection.cursor() as cursor:
        cursor.execute(
            # Ordered, so that the networkx graph (and every export of it) is deterministic.
            "SELECT id, key, type, label, aliases, properties FROM knowledge_node "
            "WHERE graph_id = %s ORDER BY key",
            [graph_sql_param(graph_id)],
        )
        for pk, key, type_, label, aliases, properties in cursor:
            key_of[pk] = key
            node_ids[key] = pk
            attrs = {
                "type": type_,
                "label": label,
                "aliases": _json(aliases, []),
                "properties": _json(properties, {}),
            }
            nodes.append((key, attrs))
        graph.add_nodes_from(nodes)
        del nodes
        cursor.execute(
            "SELECT id, source_id, target_id, type, weight, properties FROM knowledge_edge "
            "WHERE graph_id = %s ORDER BY id",
            [graph_sql_param(graph_id)],
        )
        graph.add_edges_from(
            (key_of[s], key_of[t], type_, {"id": pk, "weight": w, "properties": _json(p, {})})
            for pk, s, t, type_, w, p in cursor
        )
    return CachedGraph(graph_id, version, graph, node_ids, time.perf_counter() - started)
