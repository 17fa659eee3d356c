"""The result cache for deterministic requests (embeddings, greedy chat), in Django's cache
(Redis when REDIS_URL is set). Keys hold the tenant, so no tenant ever reads another's
results, and the model's configured source, revision and dtype, so a new model misses."""

from __future__ import annotations

import hashlib
import json

from cryptography.fernet import InvalidToken
from django.conf import settings
from django.core.cache import cache

from apps.privacy.keys import platform_fernet

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
    # The tenant in clear in the key (not its data): erasure drops a tenant's results by prefix.
    digest = hashlib.sha256(body.encode()).hexdigest()
    return f"models_runtime:result:{tenant_id}:{digest}"


def cache_get(key: str):
    token = cache.get(key)
    if not isinstance(token, bytes):
        return token  # a value cached before encryption
    try:
        return json.loads(platform_fernet("result-cache").decrypt(token))
    except InvalidToken:
        return None  # written under another master key: a miss


def cache_set(key: str, result: dict) -> None:
    # Stored encrypted: generated text and embeddings of personal data never sit in Redis in
    # clear (apps.privacy.keys derives the key from the master key).
    token = platform_fernet("result-cache").encrypt(json.dumps(result).encode())
    cache.set(key, token, timeout=settings.INFERENCE_CACHE_TTL_S)


def cache_drop_tenant(tenant_id) -> int:
    """Delete every cached result of ``tenant_id`` (erasure of a data subject or a tenant:
    cached replies and embeddings are derived from their text). Returns how many."""
    prefix = f"models_runtime:result:{tenant_id}:"
    client = getattr(cache, "_cache", None)
    if hasattr(client, "get_client"):  # Redis: scan the tenant's keys, in Django's key form
        redis = client.get_client(write=True)
        keys = list(redis.scan_iter(match=cache.make_key(prefix) + "*", count=1000))
        return redis.delete(*keys) if keys else 0
    # Local memory (tests, no Redis): its keys are Django's "<prefix>:<version>:<key>".
    stored = [k.split(":", 2)[2] for k in list(getattr(cache, "_cache", {})) if prefix in k]
    return sum(bool(cache.delete(key)) for key in stored)
