"""Sequence and token classification backends, on MiniLM with fresh heads (labels, not accuracy)."""

import math

import pytest

from models_runtime.registry import ModelRegistry
from models_runtime.specs import ModelSpec
from models_runtime.testing import build_tiny_classifier


@pytest.fixture(scope="module")
def registry(tmp_path_factory):
    root = tmp_path_factory.mktemp("classifiers")
    intents = build_tiny_classifier(root / "intents", labels=("billing", "shipping", "other"))
    names = build_tiny_classifier(root / "names", labels=("O", "B-PER", "I-PER"), token_level=True)
    return ModelRegistry(
        [
            ModelSpec(name="intents", task="classify", source=str(intents)),
            ModelSpec(name="names", task="token-classify", source=str(names)),
        ]
    )


def test_classify_returns_every_label_with_a_probability(registry):
    backend = registry.get("intents")
    results = backend.run_batch(["Where is my parcel?", "I was charged twice"])
    for result in results:
        labels = [label for label, _ in result.labels]
        scores = [score for _, score in result.labels]
        assert sorted(labels) == ["billing", "other", "shipping"]
        assert scores == sorted(scores, reverse=True)
        assert math.isclose(sum(scores), 1.0, rel_tol=1e-5)
        assert result.tokens_in > 2


def _force_label(model, label_id):
    """Make the head predict one label everywhere: zero weights, a large bias for that label."""
    import torch

    with torch.no_grad():
        model.classifier.weight.zero_()
        model.classifier.bias.zero_()
        model.classifier.bias[label_id] = 5.0


def test_token_classify_merges_inside_tags_into_spans(registry):
    backend = registry.get("names")
    text = "Jane Doe met John Smith"
    _force_label(backend.model, 2)  # I-PER on every token: one span over the whole text
    (result,) = backend.run_batch([text])
    assert [(e["label"], e["text"]) for e in result.entities] == [("PER", text)]
    assert 0.9 < result.entities[0]["score"] <= 1

    _force_label(backend.model, 1)  # B-PER on every token: each token starts its own span
    (result,) = backend.run_batch([text])
    assert [e["text"] for e in result.entities] == ["Jane", "Doe", "met", "John", "Smith"]
    for entity in result.entities:
        assert text[entity["start"] : entity["end"]] == entity["text"]

    _force_label(backend.model, 0)  # O everywhere: nothing
    assert backend.run_batch([text])[0].entities == []
