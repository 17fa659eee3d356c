"""Hybrid retrieval: BM25 over node text plus cosine similarity of stored embeddings.

``score = (1 - w) * bm25 / max(bm25) + w * max(cosine, 0)`` with ``w = embedding_weight``;
filters on node type and properties, ``top_k`` and a score ``threshold``. Each hit names its
graph, the graph's version, the node key and the score, so an answer can cite exactly what
it used. Node embeddings are computed by a job (``node_embeddings_start``) and stored; a query
embeds only its own text. The index (BM25 and the embedding matrix) is built once per graph
version, beside the cached networkx copy.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Mapping
from dataclasses import dataclass

import bm25s
import numpy as np
from django.db.models import F

from knowledge import cache
from knowledge.graphs.records import node_search_text, without_identifiers
from knowledge.graphs.text import search_terms
from knowledge.models import Graph, Node
from models_runtime import client

logging.getLogger("bm25s").setLevel(logging.WARNING)  # it logs every index build at DEBUG


@dataclass
class SearchIndex:
    keys: list[str]
    types: np.ndarray
    bm25: bm25s.BM25 | None
    vectors: np.ndarray | None  # unit rows; zeros where a node has no current embedding
    has_vector: np.ndarray
    model: str


def _build_index(entry: cache.CachedGraph) -> SearchIndex:
    g = entry.graph
    keys = list(g.nodes)
    corpus = []
    for key in keys:
        attrs = g._node[key]
        text = node_search_text(
            attrs.get("label", ""), attrs.get("aliases"), attrs.get("properties")
        )
        corpus.append(search_terms(f"{without_identifiers(key)} {text}") or [""])
    bm25 = None
    if keys:
        bm25 = bm25s.BM25()
        bm25.index(corpus, show_progress=False)
    position = {key: i for i, key in enumerate(keys)}
    vectors, has_vector, model = None, np.zeros(len(keys), dtype=bool), ""
    rows = (
        Node.objects.filter(graph_id=entry.graph_id, embedding__isnull=False)
        .filter(embedding_hash=F("text_hash"))
        .values_list("key", "embedding", "embedding_model")
    )
    for key, vector, model_name in rows.iterator(chunk_size=5000):
        i = position.get(key)
        if i is None or not vector:
            continue
        if vectors is None:
            vectors = np.zeros((len(keys), len(vector)), dtype=np.float32)
        if len(vector) != vectors.shape[1]:
            continue  # from another model: stale until the next embeddings job
        vectors[i] = vector
        has_vector[i] = True
        model = model or model_name
    if vectors is not None:
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        vectors = vectors / np.where(norms == 0, 1, norms)
    types = np.array([g._node[k].get("type", "") for k in keys], dtype=object)
    return SearchIndex(keys, types, bm25, vectors, has_vector, model)


def search_index(graph: Graph) -> tuple[cache.CachedGraph, SearchIndex]:
    entry = cache.cached_graph(graph)
    return entry, entry.derived("search", _build_index)


def _query_vector(graph: Graph, query: str, model: str) -> tuple[np.ndarray, object]:
    name = model.split("@", 1)[0] or "embed"
    result = client.embed([query], tenant_id=graph.tenant_id, model=name)
    vector = np.asarray(result.output, dtype=np.float32)
    norm = np.linalg.norm(vector)
    return (vector / norm if norm else vector), result


def _properties_match(attrs: Mapping, wanted: Mapping) -> bool:
    properties = attrs.get("properties") or {}
    return all(properties.get(name) == value for name, value in wanted.items())


def knowledge_search(
    graph: Graph,
    query: str,
    *,
    top_k: int = 10,
    threshold: float = 0.0,
    embedding_weight: float = 0.5,
    types: Collection[str] | None = None,
    properties: Mapping | None = None,
) -> dict:
    """The best ``top_k`` nodes for ``query`` scoring at least ``threshold``.

    Returns ``{"graph", "graph_id", "version", "embedding": {...}, "hits": [...]}``; each hit has
    ``graph``, ``version``, ``key``, ``label``, ``type``, ``score``, ``bm25`` and ``semantic``.
    When the graph has no current embeddings the weight falls to 0 and ``embedding.used`` says
    so (BM25 alone still answers).
    """
    entry, index = search_index(graph)
    n = len(index.keys)
    embedding_info = {"weight": embedding_weight, "used": False, "model": index.model}
    if n == 0:
        return _answer(graph, entry, embedding_info, [])
    terms = search_terms(query)
    lexical = index.bm25.get_scores(terms) if terms else np.zeros(n)
    lexical = np.asarray(lexical, dtype=np.float64)
    top = lexical.max()
    if top > 0:
        lexical = lexical / top
    semantic = np.zeros(n)
    weight = embedding_weight
    if weight > 0 and index.vectors is not None and index.has_vector.any():
        vector, result = _query_vector(graph, query, index.model)
        if vector.shape[0] == index.vectors.shape[1]:
            semantic = np.clip(index.vectors @ vector, 0.0, 1.0)
            embedding_info.update(used=True, model=f"{result.model}@{result.revision}")
    if not embedding_info["used"]:
        weight = 0.0
    scores = (1.0 - weight) * lexical + weight * semantic
    mask = scores >= max(threshold, 1e-12)
    if types:
        mask &= np.isin(index.types, list(types))
    candidates = np.flatnonzero(mask)
    ranked = candidates[np.argsort(-scores[candidates], kind="stable")]
    g = entry.graph
    hits = []
    for i in ranked:
        key = index.keys[i]
        attrs = g._node[key]
        if properties and not _properties_match(attrs, properties):
            continue
        hits.append(
            {
                "graph": graph.name,
                "graph_id": str(graph.public_id),
                "version": entry.version,
                "key": key,
                "label": attrs.get("label", ""),
                "type": attrs.get("type", ""),
                "score": round(float(scores[i]), 6),
                "bm25": round(float(lexical[i]), 6),
                "semantic": round(float(semantic[i]), 6),
            }
        )
        if len(hits) >= top_k:
            break
    return _answer(graph, entry, embedding_info, hits)


def _answer(graph, entry, embedding_info, hits) -> dict:
    return {
        "graph": graph.name,
        "graph_id": str(graph.public_id),
        "version": entry.version,
        "embedding": embedding_info,
        "hits": hits,
    }
