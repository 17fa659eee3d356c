"""The result cache for deterministic requests (embeddings, greedy chat), in Django's cache
(Redis when REDIS_URL is set). Keys hold the tenant, so no tenant ever reads another's
results, and the model's configured source, revision and dtype, so a new model misses."""

from __future__ import annotations

import hashlib
import json

from django.conf import settings
from django.core.cache import cache

from .specs import specs_from_settings


def model_fingerprint(model: str) -> str:
    spec = specs_from_settings(settings.MODELS_RUNTIME).get(model)
    if spec is None:
        return "unknown"
    return f"{spec.backend}|{spec.source}|{spec.revision}|{spec.dtype}|{spec.quantization}"


def cache_key(*, tenant_id, model: str, kind: str, payload: dict) -> str:
    body = json.dumps(
        [str(tenant_id), model, model_fingerprint(model), kind, payload],
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return "models_runtime:result:" + hashlib.sha256(body.encode()).hexdigest()


def cache_get(key: str):
    return cache.get(key)


def cache_set(key: str, result: dict) -> None:
    cache.set(key, result, timeout=settings.INFERENCE_CACHE_TTL_S)
