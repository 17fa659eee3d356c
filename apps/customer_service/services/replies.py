"""Grounded replies: facts retrieved from the tenant's ``shop`` knowledge graph (hybrid
retrieval filtered by node type and, when the conversation names one, by product; the chunks of
uploaded help-centre documents are nodes of type ``chunk`` there), a prompt in the message's
language with the facts in a quoted, delimited block, the tone that the sentiment calls for and
the recent turns, and the chat model through ``models_runtime``. ``generate`` is the one place a
reply is generated."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings

from apps.customer_service.services.assistant_texts import say
from knowledge.graphs.text import has_cjk
from knowledge.models import Graph
from knowledge.selectors import graph_networkx, knowledge_search
from models_runtime import adapters, client

SHOP_GRAPH = "shop"
# Which kinds of node may ground an answer to each intent (Dify's most asked-for feature:
# choosing what retrieval may use).
NODE_TYPES = {
    "shipping_time": ["policy", "faq", "chunk"],
    "return": ["policy", "faq", "chunk"],
    "refund": ["policy", "faq", "chunk"],
    "warranty": ["policy", "faq", "chunk"],
    "payment_problem": ["policy", "faq", "chunk"],
    "change_address": ["faq", "policy", "chunk"],
    "order_status": ["faq", "policy", "chunk"],
    "cancel_order": ["faq", "policy", "chunk"],
    "product_question": ["product", "faq", "attribute", "chunk"],
    "complaint": ["policy", "faq", "chunk"],
    # A message no trained intent covers, answered from the help centre when it can be.
    "help_centre": ["chunk", "faq", "policy"],
}
HELP_CENTRE = "help_centre"
TONES = {
    "en": {
        "negative": "The customer is upset: start with a short, sincere apology.",
        "positive": "The customer is in a good mood: be warm and brief.",
    },
    "zh": {
        "negative": "顾客不满意：先简短真诚地道歉。",
        "positive": "顾客心情不错：热情而简短。",
    },
}
# What could end the quoted block early; a chunk's own text never contains them.
_DELIMITERS = ("<<<", ">>>")
HISTORY_TURNS = 6


def cs_setting(name: str, default):
    return getattr(settings, f"CUSTOMER_SERVICE_{name}", default)


def shop_graph(tenant) -> Graph | None:
    return Graph.objects.filter(tenant=tenant, name=cs_setting("GRAPH", SHOP_GRAPH)).first()


def _node_fact(attrs: dict, key: str) -> str:
    properties = attrs.get("properties") or {}
    if attrs.get("type") == "chunk":
        heading = " > ".join(properties.get("heading_path") or [])
        return f"{heading}: {properties.get('text', '')}" if heading else properties.get("text", "")
    parts = [attrs.get("label") or key]
    for name in ("text", "answer"):
        if properties.get(name):
            parts.append(str(properties[name]))
    details = []
    for name, value in properties.items():
        if name not in ("text", "answer"):
            shown = ", ".join(map(str, value)) if isinstance(value, list) else value
            details.append(f"{name.replace('_', ' ')}: {shown}")
    if details:
        parts.append("; ".join(details))
    # Sentences joined: "Can I cancel? Orders can..." not "Can I cancel?. Orders can...".
    return " ".join(p if p.endswith((".", "?", "!")) else f"{p}." for p in parts)


def _body(attrs: dict, key: str) -> dict:
    """A fact's own text and its heading (for extractive answers): a chunk's text under its
    heading path, an FAQ's answer under its question, a policy's text under its label, other
    nodes' whole fact."""
    properties = attrs.get("properties") or {}
    label = attrs.get("label") or key
    if attrs.get("type") == "chunk":
        return {
            "body": properties.get("text", ""),
            "heading": " ".join(properties.get("heading_path") or []),
        }
    for name in ("answer", "text"):
        if properties.get(name):
            return {"body": str(properties[name]), "heading": label}
    return {"body": _node_fact(attrs, key), "heading": ""}


def product_scope(graph: Graph, product_key: str) -> set[str]:
    """The nodes that may speak about one product: itself, its attributes and category, the
    category's policies and the FAQ entries about it."""
    g = graph_networkx(graph)
    if product_key not in g:
        return set()
    scope = {product_key}
    for _, target, kind in g.out_edges(product_key, keys=True):
        scope.add(target)
        if kind == "in_category":
            scope.update(t for _, t, k in g.out_edges(target, keys=True) if k == "covered_by")
    scope.update(s for s, _, k in g.in_edges(product_key, keys=True) if k == "about")
    return scope


def relevant(hit: dict, *, cjk: bool, min_semantic: float) -> bool:
    """Whether a hit may ground an answer. BM25 is normalised by the best match, so a query
    sharing only "do you" with an FAQ still scores 1.0 there ("Do you sell kayaks?" against
    "Do you ship outside the EU?"): a hit also needs the meaning to be close. MiniLM embeds
    Chinese poorly, so a Chinese query may pass on a strong lexical match instead."""
    if hit["semantic"] >= min_semantic:
        return True
    return cjk and hit["bm25"] >= 0.8


def citation(attrs: dict, key: str) -> dict:
    """Where a fact comes from: a document chunk (document, version, heading path, chunk) or a
    graph node."""
    properties = attrs.get("properties") or {}
    if attrs.get("type") != "chunk":
        return {"key": key, "type": attrs.get("type", ""), "label": attrs.get("label", key)}
    return {
        "key": key,
        "type": "chunk",
        "label": properties.get("title") or attrs.get("label", key),
        "document": properties.get("document", ""),
        "version": properties.get("version"),
        "heading_path": properties.get("heading_path") or [],
        "chunk": properties.get("seq"),
        "url": f"/customer-service/documents/{properties.get('document_id', '')}/#chunk-"
        f"{properties.get('seq')}",
    }


def retrieve(
    *,
    graph: Graph | None,
    query: str,
    intent: str,
    product: str = "",
    language: str = "",
    min_semantic: float | None = None,
    accept: Callable[[dict], bool] | None = None,
    top_k: int | None = None,
) -> list[dict]:
    """Facts for the reply: ``{"key", "type", "score", "semantic", "semantic_margin", "text",
    "citation"}``, best first, above the threshold; an empty list when nothing relevant is
    known. Document chunks in another language than the message's are left out (the other
    language's copy answers). ``semantic_margin`` is how much closer in meaning the fact is than
    the closest other node of the ``MARGIN_POOL`` best-ranked in its language (those with no word
    of the query included: a close paraphrase shares none). ``accept`` (a test on each fact) is
    applied before the list is cut to ``CUSTOMER_SERVICE_FACTS``, so that a fact the caller
    wants is not lost behind better-ranked ones it refuses. ``top_k`` (default
    ``CUSTOMER_SERVICE_FACTS``) is how many are returned; the candidates are the best
    ``4 × CUSTOMER_SERVICE_FACTS`` hits (all 50 under a product's scope) whatever ``top_k`` is,
    so that asking for more facts to quote from never reaches further down the ranking."""
    if graph is None or intent not in NODE_TYPES:
        return []
    shown = cs_setting("FACTS", 3)
    window, top_k = 4 * shown, top_k or shown
    scope = product_scope(graph, product) if product else set()
    threshold = cs_setting("RETRIEVAL_THRESHOLD", 0.3)
    answer = knowledge_search(graph, query, top_k=MARGIN_POOL, types=NODE_TYPES[intent])
    cjk = has_cjk(query)
    if min_semantic is None:
        min_semantic = cs_setting("MIN_SEMANTIC", 0.3)
    g = graph_networkx(graph)

    def same_language(key):
        found = (g.nodes[key].get("properties") or {}).get("language")
        return not language or not found or found == language

    pool = [h for h in answer["hits"] if same_language(h["key"])]
    candidates = [
        h
        for h in answer["hits"][: 50 if scope else window]
        # Document chunks are not linked to products in the graph: they stay in scope.
        if h["score"] >= threshold
        and (not scope or h["key"] in scope or h["type"] == "chunk")
        and same_language(h["key"])
    ]
    facts = [
        _fact(g, hit, _semantic_margin(hit, pool))
        for hit in candidates
        if relevant(hit, cjk=cjk, min_semantic=min_semantic)
    ]
    return [f for f in facts if accept is None or accept(f)][:top_k]


# How many of the best-ranked nodes a fact's margin in meaning is measured against.
MARGIN_POOL = 50


def _semantic_margin(hit: dict, pool: list[dict]) -> float:
    """How much closer in meaning ``hit`` is than the closest other node of ``pool``."""
    others = [h["semantic"] for h in pool if h["key"] != hit["key"]]
    return hit["semantic"] - max(others, default=0.0)


def _fact(g, hit: dict, margin: float) -> dict:
    attrs = g.nodes[hit["key"]]
    return {
        "key": hit["key"],
        "type": hit["type"],
        "score": hit["score"],
        "semantic": hit["semantic"],
        "semantic_margin": round(margin, 6),
        "text": _node_fact(attrs, hit["key"]),
        **_body(attrs, hit["key"]),
        "citation": citation(attrs, hit["key"]),
    }


def _quoted(text: str) -> str:
    for mark in _DELIMITERS:
        text = text.replace(mark, " ")
    return " ".join(text.split())


def prompt_messages(
    *, config, language: str, facts: list[dict], history: list[dict], text: str, sentiment: str
) -> list:
    """System instructions in the message's language (the tenant's brand, persona and tone),
    the facts as a quoted, delimited block of data, then recent turns, then the message.
    Retrieved text never reaches the instructions: it stays inside ``<<< >>>``, where the
    instructions say it is data."""
    tone = TONES.get(language, TONES["en"]).get(sentiment, "")
    lines = "\n".join(f"[{n}] {_quoted(fact['text'])}" for n, fact in enumerate(facts, 1))
    system = (
        f"{say(config, 'system', language)} {tone}".strip()
        + f"\n\n{say(config, 'sources', language)}:\n<<<\n{lines}\n>>>"
    )
    messages = [{"role": "system", "content": system}]
    for turn in history[-HISTORY_TURNS:]:
        role = "user" if turn["role"] == "user" else "assistant"
        messages.append({"role": role, "content": turn["text"]})
    messages.append({"role": "user", "content": text})
    return messages


def generate(messages: list[dict], *, tenant, stream: bool = False):
    """The reply from the chat model: an ``InferenceResult``, or with ``stream`` an iterator of
    ``{"delta"}`` events ending in ``{"done": InferenceResult}``. The one call site of reply
    generation (adapters and other per-tenant options join ``params`` here)."""
    params = {
        "model": cs_setting("CHAT_MODEL", "chat"),
        "max_new_tokens": cs_setting("REPLY_MAX_NEW_TOKENS", 80),
        "temperature": 0,
        "stop": ["\n\n"],
    }
    # The tenant's promoted LoRA adapter of this name (apps/adaptation), when it has one.
    adapter = cs_setting("CHAT_ADAPTER", "shop")
    if adapter and adapters.is_served(tenant_id=tenant.pk, name=adapter, model=params["model"]):
        params["adapter"] = adapter
    if stream:
        return client.chat_stream(messages, tenant_id=tenant.pk, **params)
    return client.chat(
        messages, tenant_id=tenant.pk, use_cache=cs_setting("MODEL_CACHE", True), **params
    )
