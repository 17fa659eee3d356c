"""Entity linking (English and Chinese; exact, alias, fuzzy, embedding) and hybrid retrieval
(BM25 + stored embeddings computed by the job; filters, top-k, threshold, citations).

Embeddings come from the real offline model (all-MiniLM-L6-v2) through models_runtime, run
in-process as the test settings do for every task.
"""

from __future__ import annotations

import pytest

from apps.jobs.models import JobState
from knowledge import selectors, services
from knowledge.models import Node

from .factories import medical_graph, shop_graph

pytestmark = pytest.mark.django_db


def _links(answer):
    return {(link["key"], link["method"]) for link in answer["links"]}


def test_english_exact_alias_and_fuzzy(tenant):
    graph = medical_graph(tenant)
    text = "Known hypertension; takes Warfarin and asprin daily. Denies chest pain."
    answer = selectors.entity_link(graph, text)
    found = _links(answer)
    assert ("drug:warfarin", "exact") in found
    assert ("symptom:chest_pain", "exact") in found
    assert ("condition:I10", "alias") in found
    assert ("drug:aspirin", "fuzzy") in found  # a typo
    aspirin = next(link for link in answer["links"] if link["key"] == "drug:aspirin")
    assert text[aspirin["start"] : aspirin["end"]] == "asprin" == aspirin["text"]
    assert 0.8 < aspirin["score"] < 1
    assert answer["version"] == graph.version
    assert ("drug:aspirin", "fuzzy") not in _links(
        selectors.entity_link(graph, text, methods=["exact", "alias"])
    )


def test_longest_span_wins(tenant):
    graph = medical_graph(tenant)
    found = _links(
        selectors.entity_link(graph, "History of type 2 diabetes and high blood pressure")
    )
    assert ("condition:E11.9", "alias") in found
    assert ("condition:I10", "alias") in found
    assert not any(key == "condition:E10.9" for key, _ in found)


def test_chinese_with_jieba(tenant):
    graph = medical_graph(tenant)
    answer = selectors.entity_link(
        graph, "患者既往有高血压，否认低血压。对青霉素过敏，今日发热伴咳嗽。"
    )
    found = _links(answer)
    assert ("condition:I10", "alias") in found
    assert ("condition:I95.9", "alias") in found
    assert ("allergy:penicillin", "alias") in found
    assert ("symptom:fever", "alias") in found
    assert ("symptom:cough", "alias") in found
    high = next(link for link in answer["links"] if link["key"] == "condition:I10")
    assert high["text"] == "高血压"
    # 高血压 must not also produce 血压-like partial links inside it, nor link 低血压 as 高血压.
    assert len([link for link in answer["links"] if link["start"] == high["start"]]) == 1
    # And the contradiction check the medical vertical runs on what was linked:
    keys = [link["key"] for link in answer["links"]]
    pairs = selectors.nodes_linked_by(graph, keys, "contradicts")
    assert {(p["source"], p["target"]) for p in pairs} == {("condition:I10", "condition:I95.9")}


def test_type_filter(tenant):
    graph = medical_graph(tenant)
    found = _links(selectors.entity_link(graph, "warfarin for atrial fibrillation", types=["drug"]))
    assert found == {("drug:warfarin", "exact")}


def _run_embeddings(graph):
    """Start the embeddings job and let it run (its task is sent when the transaction
    commits; the test's transaction never does, so the commit hooks run here)."""
    from django.test import TestCase

    with TestCase.captureOnCommitCallbacks(execute=True):
        job = services.node_embeddings_start(graph=graph)
    job.refresh_from_db()
    return job


@pytest.fixture
def embedded_shop(tenant):
    graph = shop_graph(tenant)
    job = _run_embeddings(graph)
    assert job.state == JobState.SUCCEEDED, job.error
    assert job.result["embedded"] == graph.nodes.count()
    graph.refresh_from_db()
    return graph


def test_embeddings_are_stored_once_and_recomputed_only_when_stale(embedded_shop):
    graph = embedded_shop
    node = Node.objects.get(graph=graph, key="policy:payment")
    assert len(node.embedding) == 384 and node.embedding_hash == node.text_hash
    assert node.embedding_model.startswith("embed@")
    again = _run_embeddings(graph)
    assert again.result["embedded"] == 0  # nothing stale: nothing recomputed
    services.graph_upsert(
        graph=graph,
        nodes=[{"key": "policy:payment", "type": "policy", "label": "Ways to pay"}],
    )
    assert list(services.stale_embeddings(graph).values_list("key", flat=True)) == [
        "policy:payment"
    ]
    assert _run_embeddings(graph).result["embedded"] == 1


def test_hybrid_retrieval_cites_graph_version_key_and_score(embedded_shop):
    graph = embedded_shop
    answer = selectors.knowledge_search(graph, "how do I send back my shoes", top_k=5)
    assert answer["embedding"]["used"] is True
    hits = answer["hits"]
    assert 0 < len(hits) <= 5
    assert hits[0]["key"] in {"faq:how-to-return", "policy:returns-30-days"}
    for hit in hits:
        assert set(hit) >= {"graph", "version", "key", "score", "bm25", "semantic"}
        assert hit["graph"] == "shop" and hit["version"] == graph.version
        assert hit["score"] == pytest.approx(0.5 * hit["bm25"] + 0.5 * hit["semantic"], abs=1e-5)
    assert [h["score"] for h in hits] == sorted((h["score"] for h in hits), reverse=True)


def test_embedding_weight_changes_the_ranking(embedded_shop):
    graph = embedded_shop
    # No word of this query appears in the shop's texts: BM25 alone finds nothing.
    lexical = selectors.knowledge_search(graph, "speedy overnight courier", embedding_weight=0)
    assert lexical["hits"] == [] and lexical["embedding"]["used"] is False
    semantic = selectors.knowledge_search(graph, "speedy overnight courier", embedding_weight=1)
    assert semantic["hits"] and all(h["bm25"] == 0 for h in semantic["hits"])
    assert semantic["hits"][0]["key"].startswith(("policy:shipping", "faq:"))


def test_filters_and_threshold(embedded_shop):
    graph = embedded_shop
    policies = selectors.knowledge_search(graph, "return electronics", types=["policy"], top_k=50)
    assert policies["hits"] and {h["type"] for h in policies["hits"]} == {"policy"}
    priced = selectors.knowledge_search(
        graph, "shoes", properties={"sku": "FW-TR2"}, top_k=50, embedding_weight=0.3
    )
    assert [h["key"] for h in priced["hits"]] == ["product:trailrunner-2"]
    everything = selectors.knowledge_search(graph, "warranty for my watch", top_k=100)["hits"]
    cut = selectors.knowledge_search(graph, "warranty for my watch", top_k=100, threshold=0.5)[
        "hits"
    ]
    assert cut and len(cut) < len(everything)
    assert all(h["score"] >= 0.5 for h in cut)


def test_bm25_only_without_embeddings(tenant):
    graph = shop_graph(tenant)
    answer = selectors.knowledge_search(graph, "gift card validity", top_k=3)
    assert answer["embedding"]["used"] is False  # no job ran: BM25 alone, said so
    assert answer["hits"][0]["key"] in {"faq:gift-card-validity", "product:gift-card"}


def test_chinese_search(tenant):
    graph = medical_graph(tenant)
    hits = selectors.knowledge_search(graph, "血压", top_k=5, embedding_weight=0)["hits"]
    assert {"condition:I10", "condition:I95.9"} <= {h["key"] for h in hits}


def test_embedding_linking(tenant):
    graph = medical_graph(tenant)
    assert _run_embeddings(graph).state == JobState.SUCCEEDED
    answer = selectors.entity_link(
        graph, "allergic reaction to peanuts", methods=["embedding"], embedding_threshold=0.5
    )
    assert answer["links"], answer
    assert answer["links"][0]["key"] == "allergy:peanut"
    assert all(link["method"] == "embedding" and link["score"] >= 0.5 for link in answer["links"])


def test_generated_identifiers_do_not_change_the_ranking(embedded_shop):
    """Two copies of one text, uploaded as documents with their own random ids, score the
    same: a UUID in a property or in the key is not searchable text (it made rankings differ
    from one fresh database to the next)."""
    import uuid

    from knowledge.graphs.records import node_search_text

    graph = embedded_shop
    text = "Parcels to the islands take five working days by ferry."
    nodes = []
    for _ in range(2):
        document_id = str(uuid.uuid4())
        nodes.append(
            {
                "key": f"doc:{document_id}:v1:0",
                "type": "policy",
                "label": "Island delivery",
                "properties": {"text": text, "document_id": document_id, "version": 1},
            }
        )
    services.graph_upsert(graph=graph, nodes=nodes)
    first, second = (node_search_text(n["label"], [], n["properties"]) for n in nodes)
    assert first == second and "Island delivery" in first and "1" in first.split()
    assert _run_embeddings(graph).result["embedded"] == 2
    graph.refresh_from_db()
    hits = selectors.knowledge_search(graph, "ferry to the islands", types=["policy"], top_k=5)
    both = [h for h in hits["hits"] if h["key"] in {n["key"] for n in nodes}]
    assert len(both) == 2
    assert both[0]["semantic"] == pytest.approx(both[1]["semantic"], abs=1e-6)
    assert both[0]["bm25"] == pytest.approx(both[1]["bm25"], abs=1e-9)
