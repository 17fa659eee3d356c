"""Embedding vectors travel from the worker as base64 float32 and arrive as the same floats."""

from __future__ import annotations

import json

import numpy as np
import pytest

from models_runtime.client import InferenceResult
from models_runtime.packing import is_packed, pack_vectors, unpack_vectors


def test_round_trip_gives_the_models_float32_values_exactly():
    rng = np.random.default_rng(0)
    vectors = rng.standard_normal((3, 384)).astype(np.float32)
    as_lists = vectors.tolist()  # what the backend hands over
    packed = json.loads(json.dumps(pack_vectors(as_lists)))  # through Celery's JSON
    assert is_packed(packed)
    assert unpack_vectors(packed) == as_lists
    # Four bytes per value in base64, far below the JSON digits of the same floats.
    assert len(packed["data"]) < len(json.dumps(as_lists)) / 3


def test_results_from_the_worker_are_unpacked_for_callers():
    vectors = [[0.5, -0.25], [1.0, 0.0]]
    data = {
        "model": "embed",
        "revision": "r",
        "outputs": pack_vectors(vectors),
        "queue_ms": 1.0,
        "compute_ms": 2.0,
        "batch_size": 2,
        "tokens_in": 4,
        "tokens_out": 0,
    }
    assert InferenceResult.from_task(data).outputs == vectors


def test_damaged_or_ragged_input_is_refused():
    packed = pack_vectors([[1.0, 2.0]])
    packed["shape"] = [2, 2]
    with pytest.raises(ValueError, match="not 2 x 2"):
        unpack_vectors(packed)
    with pytest.raises(ValueError, match="2-D"):
        pack_vectors([1.0, 2.0])
