"""Grounded replies: facts retrieved from the tenant's ``shop`` knowledge graph (hybrid
retrieval filtered by node type and, when the conversation names one, by product), a prompt with
the facts, the tone that the sentiment calls for and the recent turns, and the chat model
through ``models_runtime``. ``generate`` is the one place a reply is generated."""

from __future__ import annotations

from django.conf import settings

from knowledge.graphs.text import has_cjk
from knowledge.models import Graph

SHOP_GRAPH = "shop"
# Which kinds of node may ground an answer to each intent (Dify's most asked-for feature:
# choosing what retrieval may use).
NODE_TYPES = {
    "shipping_time": ["policy", "faq"],
    "return": ["policy", "faq"],
    "refund": ["policy", "faq"],
    "warranty": ["policy", "faq"],
    "payment_problem": ["policy", "faq"],
    "change_address": ["faq", "policy"],
    "order_status": ["faq", "policy"],
    "cancel_order": ["faq", "policy"],
    "product_question": ["product", "faq", "attribute"],
    "complaint": ["policy", "faq"],
}
TONES = {
    "negative": (
        "The customer is upset: start with a short, sincere apology and stay calm and empathetic."
    ),
    "positive": "The customer is in a good mood: be warm and brief.",
    "neutral": "Be friendly, clear and concise.",
}
HISTORY_TURNS = 6


def cs_setting(name: str, default):
    return getattr(settings, f"CUSTOMER_SERVICE_{name}", default)


def shop_graph(tenant) -> Graph | None:
    return Graph.objects.filter(tenant=tenant, name=cs_setting("GRAPH", SHOP_GRAPH)).first()


def _node_fact(attrs: dict, key: str) -> str:
    properties = attrs.get("properties") or {}
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
    return ". ".join(parts)


def product_scope(graph: Graph, product_key: str) -> set[str]:
    """The nodes that may speak about one product: itself, its attributes and category, the
    category's policies and the FAQ entries about it."""
    from knowledge.selectors import graph_networkx

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


def retrieve(*, graph: Graph | None, query: str, intent: str, product: str = "") -> list[dict]:
    """Facts for the reply: ``{"key", "type", "score", "text"}``, best first, above the
    threshold; an empty list when nothing relevant is known."""
    if graph is None or intent not in NODE_TYPES:
        return []
    from knowledge.selectors import graph_networkx, knowledge_search

    top_k = cs_setting("FACTS", 3)
    scope = product_scope(graph, product) if product else set()
    answer = knowledge_search(
        graph,
        query,
        top_k=50 if scope else 4 * top_k,
        threshold=cs_setting("RETRIEVAL_THRESHOLD", 0.3),
        types=NODE_TYPES[intent],
    )
    cjk = has_cjk(query)
    min_semantic = cs_setting("MIN_SEMANTIC", 0.3)
    hits = [
        h
        for h in answer["hits"]
        if (not scope or h["key"] in scope) and relevant(h, cjk=cjk, min_semantic=min_semantic)
    ][:top_k]
    g = graph_networkx(graph)
    return [
        {
            "key": hit["key"],
            "type": hit["type"],
            "score": hit["score"],
            "text": _node_fact(g.nodes[hit["key"]], hit["key"]),
        }
        for hit in hits
    ]


def prompt_messages(*, facts: list[dict], history: list[dict], text: str, sentiment: str) -> list:
    """System instructions with the facts and the tone, then recent turns, then the message."""
    lines = "\n".join(f"[{fact['key']}] {fact['text']}" for fact in facts)
    system = (
        "You are the customer-service assistant of Demo Shop, an outdoor-gear web shop. "
        "Answer the customer's last message using only the facts below; if they do not "
        "answer it, say that you do not know and offer to connect a person. "
        f"{TONES.get(sentiment, TONES['neutral'])} Answer in at most three sentences.\n\n"
        f"Facts:\n{lines}"
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
    from models_runtime import adapters, client

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
