"""Entity linking: which nodes a text mentions.

Methods, best first: ``exact`` (a node's label), ``alias`` (one of its aliases), ``fuzzy``
(rapidfuzz similarity of a text span to a label or alias, for typos and inflections) and
``embedding`` (cosine similarity of the text's embedding to stored node embeddings, through
``models_runtime``, for paraphrases such as "high blood pressure" → Hypertension when no alias
says so). Text is cut into tokens by words, and Chinese runs by jieba, and every run of up to
five tokens is a candidate span, so 既往有高血压 finds 高血压 and "type 2 diabetes" its node.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from rapidfuzz import fuzz, process

from knowledge import cache
from knowledge.graphs.text import has_cjk, normalize, spans, tokens
from knowledge.models import Graph

from .retrieval import _query_vector, search_index

METHODS = ("exact", "alias", "fuzzy", "embedding")
_RANK = {method: rank for rank, method in enumerate(METHODS)}
MAX_SPAN_TOKENS = 5
# Fuzzy matching on very short spans links noise ("in" ~ "ib"); CJK words are short by nature.
MIN_FUZZY_CHARS = 4
MIN_FUZZY_CHARS_CJK = 3


@dataclass
class Surfaces:
    """Normalised label/alias -> [(node key, "exact" or "alias")], and the list for fuzzy."""

    forms: dict
    choices: list


def _build_surfaces(entry: cache.CachedGraph) -> Surfaces:
    forms: dict[str, list] = {}
    for key, attrs in entry.graph.nodes(data=True):
        label = normalize(attrs.get("label") or "")
        if label:
            forms.setdefault(label, []).append((key, "exact"))
        for alias in attrs.get("aliases") or ():
            form = normalize(alias)
            if form and (key, "exact") not in forms.get(form, ()):
                forms.setdefault(form, []).append((key, "alias"))
    return Surfaces(forms, list(forms))


def entity_link(
    graph: Graph,
    text: str,
    *,
    methods: Collection[str] = ("exact", "alias", "fuzzy"),
    fuzzy_threshold: float = 88.0,
    embedding_threshold: float = 0.55,
    types: Collection[str] | None = None,
    limit: int = 50,
) -> dict:
    """Nodes mentioned in ``text``: ``{"graph", "version", "links": [{"key", "label", "type",
    "method", "score", "text", "start", "end"}]}``, at most one link per node (its best), and
    overlapping spans resolved in favour of the better, then longer, match."""
    entry = cache.cached_graph(graph)
    surfaces = entry.derived("surfaces", _build_surfaces)
    g = entry.graph
    found = tokens(text)
    candidates = []
    for form, start, end in spans(text, found, MAX_SPAN_TOKENS):
        hits = surfaces.forms.get(form)
        if hits and ({"exact", "alias"} & set(methods)):
            for key, method in hits:
                if method in methods:
                    candidates.append((method, 1.0, key, start, end))
            continue
        if "fuzzy" in methods and surfaces.choices:
            minimum = MIN_FUZZY_CHARS_CJK if has_cjk(form) else MIN_FUZZY_CHARS
            if len(form) < minimum:
                continue
            best = process.extractOne(
                form, surfaces.choices, scorer=fuzz.ratio, score_cutoff=fuzzy_threshold
            )
            if best is not None:
                for key, _method in surfaces.forms[best[0]]:
                    candidates.append(("fuzzy", best[1] / 100.0, key, start, end))
    if types:
        candidates = [c for c in candidates if g._node[c[2]].get("type") in types]
    chosen = _resolve_overlaps(candidates)
    if "embedding" in methods:
        chosen.extend(_embedding_links(graph, text, embedding_threshold, types, chosen))
    links = []
    for method, score, key, start, end in chosen[:limit]:
        attrs = g._node[key]
        links.append(
            {
                "key": key,
                "label": attrs.get("label", ""),
                "type": attrs.get("type", ""),
                "method": method,
                "score": round(score, 4),
                "text": text[start:end],
                "start": start,
                "end": end,
            }
        )
    return {
        "graph": graph.name,
        "graph_id": str(graph.public_id),
        "version": entry.version,
        "links": links,
    }


def _resolve_overlaps(candidates: list) -> list:
    # Best method, then highest score, then longest span: greedy over non-overlapping spans.
    ordered = sorted(candidates, key=lambda c: (_RANK[c[0]], -c[1], -(c[4] - c[3]), c[3]))
    taken: list[tuple[int, int]] = []
    linked: set = set()
    chosen = []
    for method, score, key, start, end in ordered:
        if key in linked:
            continue
        if any(start < t_end and t_start < end for t_start, t_end in taken):
            # The same span may name several nodes (a shared alias): keep them all.
            if (start, end) not in taken:
                continue
        taken.append((start, end))
        linked.add(key)
        chosen.append((method, score, key, start, end))
    chosen.sort(key=lambda c: (c[3], _RANK[c[0]]))
    return chosen


def _embedding_links(graph, text, threshold, types, already) -> list:
    _entry, index = search_index(graph)
    if index.vectors is None or not index.has_vector.any():
        return []
    vector, _result = _query_vector(graph, text, index.model)
    if vector.shape[0] != index.vectors.shape[1]:
        return []
    scores = index.vectors @ vector
    linked = {c[2] for c in already}
    out = []
    for i in scores.argsort()[::-1][:20]:
        score = float(scores[i])
        if score < threshold or not index.has_vector[i]:
            break
        key = index.keys[i]
        if key in linked or (types and index.types[i] not in types):
            continue
        out.append(("embedding", score, key, 0, len(text)))
    return out
