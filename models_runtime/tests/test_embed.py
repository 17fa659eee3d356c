"""MiniLM embeddings: the same vectors as sentence-transformers, normalised, batch-independent."""

import math

import pytest

from models_runtime.registry import ModelRegistry
from models_runtime.specs import DEFAULT_MODELS, ModelSpec
from models_runtime.testing import minilm_folder

TEXTS = [
    "I want to cancel my order",
    "How do I cancel an order?",
    "The patient denies chest pain.",
    "Quarterly default rates rose in the retail portfolio, driven by unsecured lending.",
    "短文本",
]


def cosine(a, b):
    dot = sum(x * y for x, y in zip(a, b, strict=True))
    return dot / (math.sqrt(sum(x * x for x in a)) * math.sqrt(sum(y * y for y in b)))


@pytest.fixture(scope="module")
def reference_vectors():
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(str(minilm_folder()), device="cpu")
    return model.encode(TEXTS, normalize_embeddings=False).tolist()


def test_same_vectors_as_sentence_transformers(embed_backend, reference_vectors):
    results = embed_backend.run_batch(TEXTS)
    assert len(results[0].vector) == 384
    for result, expected in zip(results, reference_vectors, strict=True):
        assert cosine(result.vector, expected) > 0.999
        assert math.isclose(math.sqrt(sum(x * x for x in result.vector)), 1.0, rel_tol=1e-5)


def test_batch_does_not_change_a_vector(embed_backend):
    alone = embed_backend.run_batch([TEXTS[0]])[0]
    together = embed_backend.run_batch(TEXTS)[0]
    assert cosine(alone.vector, together.vector) > 0.9999
    assert alone.tokens_in == together.tokens_in == embed_backend.count_tokens(TEXTS[0])


def test_similar_questions_score_higher(embed_backend):
    cancel, cancel_q, medical = (r.vector for r in embed_backend.run_batch(TEXTS[:3]))
    assert cosine(cancel, cancel_q) > 0.7 > cosine(cancel, medical)


def test_dynamic_int8_on_cpu_stays_close(embed_backend):
    spec = ModelSpec(
        **{**DEFAULT_MODELS["embed"].__dict__, "name": "embed-int8", "quantization": "dynamic-int8"}
    )
    registry = ModelRegistry([spec])
    quantized = registry.get("embed-int8")
    query = quantized.model.encoder.layer[0].attention.self.query
    assert type(query).__module__.startswith("torch.ao.nn.quantized.dynamic")
    assert registry.status()[0].quantization == "dynamic-int8"
    # Per-tensor int8 costs a small model like MiniLM some accuracy (about 0.94 cosine here).
    pairs = zip(quantized.run_batch(TEXTS[:3]), embed_backend.run_batch(TEXTS[:3]), strict=True)
    for q, f in pairs:
        assert cosine(q.vector, f.vector) > 0.9


@pytest.mark.django_db
def test_a_group_answers_each_request_on_its_own(tenant, other_tenant):
    """The worker's side of coalescing: one task, every request's own answer; a bad request
    fails alone, and each request is metered to its own tenant."""
    from models_runtime.models import ModelUsage
    from models_runtime.packing import unpack_vectors
    from models_runtime.tasks import infer_task, runtime

    items = [
        {"texts": ["cancel my order"], "tenant_id": str(tenant.pk)},
        {"texts": ["  "], "tenant_id": str(tenant.pk)},
        {"texts": ["refund please", "where is my parcel"], "tenant_id": str(other_tenant.pk)},
    ]
    data = infer_task.run(
        model="embed", kind="embed_group", payload={"items": items, "timeout_s": 30}, tenant_id=""
    )
    first, bad, third = data["items"]
    assert len(unpack_vectors(first["outputs"])) == 1 and first["ok"]
    assert bad == {"ok": False, "error": {"type": "InvalidInput", "message": "text is empty"}}
    assert len(unpack_vectors(third["outputs"])) == 2 and third["tokens_in"] > first["tokens_in"]
    # The group's texts were queued as one arrival: one batch of the three valid texts.
    assert first["batch_size"] == third["batch_size"] == 3
    # An encoder's batcher starts what queued up during a batch at once (batcher tests).
    assert runtime().batcher("embed").backlog_starts_at_once is True
    # In-process (no worker meter running), the caller meters: nothing written here.
    assert not ModelUsage.objects.exists()
    assert first["metered"] is False


def test_a_group_for_an_unknown_model_fails_as_a_whole():
    from models_runtime.tasks import infer_task

    data = infer_task.run(
        model="nope",
        kind="embed_group",
        payload={"items": [{"texts": ["x"], "tenant_id": "t"}]},
        tenant_id="",
    )
    assert data["ok"] is False and data["error"]["type"] == "UnknownModel"
