"""bench_knowledge's measurements. Each step returns numbers; the command prints them.

Ratios compare the platform path with the raw library on the same in-memory graph in the
same process, so the machine's speed cancels out: ``neighbourhood_over_networkx`` is the p50
of ``graph_khop`` through the selector (version check included) over the p50 of
``networkx.ego_graph(G, n, radius=2)``; both are timed on the same nodes, alternating which
runs first.
"""

from __future__ import annotations

import http.client
import json
import random
import statistics
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import quote

import networkx as nx
from django.core.cache import cache as result_cache
from django.test.utils import override_settings

from knowledge import cache, selectors, services
from knowledge.models import Graph
from models_runtime.cache import cache_key


@dataclass(frozen=True)
class Plan:
    name: str
    nodes: int
    edges: int
    samples: int
    api_samples: int
    queries: int


FULL = Plan("full", nodes=50_000, edges=250_000, samples=2000, api_samples=300, queries=40)
# Every timed query is a different text, so no query embedding comes from the cache.
SMOKE = Plan("smoke", nodes=2_000, edges=10_000, samples=200, api_samples=30, queries=6)

SEARCH_QUERIES = [
    "how do I return my running shoes",
    "refund for a faulty headlamp",
    "is the tent waterproof in heavy rain",
    "which cards can I pay with",
    "GPS watch battery life",
    "shipping to Norway",
    "warranty on hiking boots soles",
    "can I send back a gift card",
    "express delivery cost",
    "backpack volume for a day hike",
    "fleece made from recycled material",
    "change my delivery address",
    "track parcel",
    "rain jacket sizes",
    "head torch brightness",
    "voucher validity",
    "invoice payment limit",
    "next day delivery before 2pm",
    "tread wear on trail shoes",
    "opened electronics return window",
]
SEARCH_QUERIES = SEARCH_QUERIES + [f"{query}, please" for query in SEARCH_QUERIES]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


def timed(fn: Callable) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def import_graph(graph: Graph, files: dict[str, str]) -> tuple[float, services.WriteResult]:
    """The real import path: parse, validate, upsert (COPY on PostgreSQL), bump the version."""
    started = time.perf_counter()
    result = services.graph_import(graph=graph, fmt="csv", files=files)
    return time.perf_counter() - started, result


def cold_load(graph: Graph) -> float:
    cache.forget(graph.pk)
    return timed(lambda: cache.cached_graph(graph))


def sample_nodes(graph: Graph, count: int, seed: int = 7) -> list[str]:
    g = selectors.graph_networkx(graph)
    candidates = [n for n, degree in g.out_degree() if degree > 0]
    return random.Random(seed).sample(candidates, min(count, len(candidates)))


def neighbourhoods(graph: Graph, nodes: list[str], check_interval_s: float) -> dict:
    """p50/p99 (ms) of the selector and of ego_graph, on the same nodes, alternating order."""
    with override_settings(KNOWLEDGE_VERSION_CHECK_S=check_interval_s):
        cache.invalidate(graph.pk)
        g = selectors.graph_networkx(graph)
        selector_s, raw_s = [], []
        for node in nodes[:50]:  # warm-up: caches, allocator, branch predictors
            selectors.graph_khop(graph, node, 2, direction="out")
            nx.ego_graph(g, node, radius=2)
        mismatches = 0
        for i, node in enumerate(nodes):
            run_selector = lambda node=node: selectors.graph_khop(graph, node, 2, direction="out")  # noqa: E731
            run_raw = lambda node=node: nx.ego_graph(g, node, radius=2)  # noqa: E731
            if i % 2:
                raw_s.append(timed(run_raw))
                selector_s.append(timed(run_selector))
            else:
                selector_s.append(timed(run_selector))
                raw_s.append(timed(run_raw))
            if i < 20:  # the two must agree, or the comparison means nothing
                ours = selectors.graph_khop(graph, node, 2, direction="out")
                theirs = nx.ego_graph(g, node, radius=2)
                if set(ours.nodes) != set(theirs) or len(ours.edges) != theirs.number_of_edges():
                    mismatches += 1
    if mismatches:
        raise RuntimeError(f"graph_khop and ego_graph disagree on {mismatches} of 20 nodes")
    selector_p50 = statistics.median(selector_s) * 1000
    raw_p50 = statistics.median(raw_s) * 1000
    return {
        "selector_p50_ms": selector_p50,
        "selector_p99_ms": percentile(selector_s, 99) * 1000,
        "networkx_p50_ms": raw_p50,
        "networkx_p99_ms": percentile(raw_s, 99) * 1000,
        "ratio": selector_p50 / raw_p50,
    }


def api_neighbourhoods(port: int, token: str, graph: Graph, nodes: list[str]) -> dict:
    """p50/p99 (ms) of GET …/khop/?k=2 over HTTP (auth, tenant scoping, JSON included)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    headers = {"Authorization": f"Api-Key {token}", "Accept": "application/json"}

    def get(node: str) -> dict:
        path = (
            f"/api/v1/knowledge/graphs/{graph.public_id}/khop/?k=2&direction=out&max_nodes=5000"
            f"&node={quote(node)}"
        )
        conn.request("GET", path, headers=headers)
        response = conn.getresponse()
        body = response.read()
        if response.status != 200:
            raise RuntimeError(f"GET {path} answered {response.status}: {body[:300]!r}")
        return json.loads(body)

    try:
        first = get(nodes[0])  # the web process loads the graph into its cache here
        expected = selectors.graph_khop(graph, nodes[0], 2, direction="out")
        if len(first["nodes"]) != len(expected.nodes):
            raise RuntimeError("the API's neighbourhood differs from the selector's")
        durations = [timed(lambda node=node: get(node)) for node in nodes]
    finally:
        conn.close()
    return {
        "p50_ms": statistics.median(durations) * 1000,
        "p99_ms": percentile(durations, 99) * 1000,
    }


def retrieval(graph: Graph, queries: list[str], *, embedding_weight: float) -> dict:
    """p50/p99 (ms) of hybrid search; the index is built before timing (it is per version).

    The warm-up text is new every run: a text embedded before comes from the inference
    cache, and the model would then load during the first timed query instead."""
    selectors.knowledge_search(
        graph, f"warm up {uuid.uuid4().hex}", embedding_weight=embedding_weight
    )
    # An earlier run's query embeddings would come from the inference cache: measure the
    # uncached path (the query text reaches the model every time).
    for query in queries:
        result_cache.delete(
            cache_key(
                tenant_id=graph.tenant_id, model="embed", kind="embed", payload={"texts": [query]}
            )
        )
    durations, used = [], True
    for query in queries:
        started = time.perf_counter()
        answer = selectors.knowledge_search(
            graph, query, top_k=10, embedding_weight=embedding_weight
        )
        durations.append(time.perf_counter() - started)
        used = used and (answer["embedding"]["used"] or embedding_weight == 0)
        if not answer["hits"]:
            raise RuntimeError(f"no hit for {query!r}")
    if not used:
        raise RuntimeError("hybrid retrieval ran without embeddings")
    return {
        "p50_ms": statistics.median(durations) * 1000,
        "p99_ms": percentile(durations, 99) * 1000,
    }
