"""Embedding vectors between the worker and its callers as base64 float32, not JSON numbers.

A 384-dimension vector as JSON is ~7 KB of digits that the worker encodes, Celery's result
logging ``repr``s and the caller decodes again: most of the CPU an embedding request costs
outside the model. As 1.5 KB of base64 it is copied, not parsed. The values are the model's own
float32 numbers either way, so callers get exactly the same floats.
"""

from __future__ import annotations

import base64

import numpy as np

PACKED = "float32-base64"


def pack_vectors(vectors) -> dict:
    """Vectors (a list of equal-length float lists, or a 2-D array) as one JSON-safe dict."""
    array = np.asarray(vectors, dtype="<f4")
    if array.ndim != 2:
        raise ValueError(f"expected a 2-D batch of vectors, got shape {array.shape}")
    return {
        "encoding": PACKED,
        "shape": list(array.shape),
        "data": base64.b64encode(array.tobytes()).decode("ascii"),
    }


def is_packed(outputs) -> bool:
    return isinstance(outputs, dict) and outputs.get("encoding") == PACKED


def unpack_vectors(packed: dict) -> list[list[float]]:
    """The vectors ``pack_vectors`` packed, as lists of Python floats."""
    rows, dim = packed["shape"]
    array = np.frombuffer(base64.b64decode(packed["data"]), dtype="<f4")
    if array.size != rows * dim:
        raise ValueError(f"packed vectors hold {array.size} values, not {rows} x {dim}")
    return array.reshape(rows, dim).tolist()
