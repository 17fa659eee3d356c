"""The audit log's cryptography, in one place: event hashes, checkpoint signatures and
per-tenant input digests.

Everything hashed is first written as canonical JSON (sorted keys, no spaces, ASCII only,
timestamps as ISO 8601 UTC with microseconds, UUIDs as ``str()``), so the same content always
gives the same bytes, whichever database the row went through.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import uuid
from datetime import UTC, date, datetime
from decimal import Decimal

from django.conf import settings

# Bumped if the hashed content ever changes, so old and new events stay verifiable.
HASH_VERSION = 1


def _json_default(value):
    if isinstance(value, datetime):
        return iso_timestamp(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (uuid.UUID, Decimal)):
        return str(value)
    if isinstance(value, (set, frozenset)):
        return sorted(value, key=str)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def canonical_json(value) -> str:
    """Deterministic JSON: sorted keys, compact separators, ASCII escapes, no NaN."""
    return json.dumps(
        value,
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=True,
        allow_nan=False,
        default=_json_default,
    )


def iso_timestamp(value: datetime) -> str:
    """``2025-01-31T12:00:00.000000+00:00``: UTC, always with microseconds."""
    return value.astimezone(UTC).isoformat(timespec="microseconds")


def normalise_details(details: dict | None) -> dict:
    """``details`` as it will read back from any database (plain JSON types only)."""
    if details is None:
        return {}
    if not isinstance(details, dict):
        raise TypeError("audit details must be a JSON object (a dict)")
    return json.loads(canonical_json(details))


# ---------------------------------------------------------------------------- event hash


def event_content(event) -> dict:
    """The hashed content of an event: every recorded field and ``prev_hash``, but not ``seq``
    (a position index the verifier checks for contiguity on its own) and not ``hash``."""
    return {
        "v": HASH_VERSION,
        "id": str(event.id),
        "chain": event.chain,
        "tenant_id": str(event.tenant_id) if event.tenant_id else None,
        "created_at": iso_timestamp(event.created_at),
        "actor_kind": event.actor_kind,
        "actor_id": event.actor_id,
        "actor_label": event.actor_label,
        "actor_role": event.actor_role,
        "action": event.action,
        "resource_type": event.resource_type,
        "resource_id": event.resource_id,
        "request_id": event.request_id,
        "outcome": event.outcome,
        "status_code": event.status_code,
        "latency_ms": event.latency_ms,
        "model_name": event.model_name,
        "model_revision": event.model_revision,
        "input_digest": event.input_digest,
        "row_count": event.row_count,
        "details": event.details,
        "prev_hash": event.prev_hash,
    }


def event_hash(event) -> str:
    """SHA-256 (hex) of the event's canonical content, which includes ``prev_hash``."""
    return hashlib.sha256(canonical_json(event_content(event)).encode("ascii")).hexdigest()


# ---------------------------------------------------------------------------- checkpoints


def checkpoint_payload(*, chain: str, tenant_id, seq: int, head_hash: str, created_at) -> dict:
    """What a checkpoint signs: the chain, its head position and hash, and the time."""
    return {
        "v": HASH_VERSION,
        "chain": chain,
        "tenant_id": str(tenant_id) if tenant_id else None,
        "seq": seq,
        "head_hash": head_hash,
        "created_at": iso_timestamp(created_at),
    }


def _signing_key() -> bytes:
    key = settings.AUDIT_SIGNING_KEY
    if not key:
        raise RuntimeError("AUDIT_SIGNING_KEY (or SECRET_KEY) must be set to sign checkpoints")
    return key.encode()


def checkpoint_hmac(*, chain: str, tenant_id, seq: int, head_hash: str, created_at) -> str:
    """HMAC-SHA256 under AUDIT_SIGNING_KEY: how checkpoints were signed before Ed25519
    (key id ""). Kept so that those checkpoints still verify; new ones are Ed25519
    (``apps.audit.signing``)."""
    payload = canonical_json(
        checkpoint_payload(
            chain=chain, tenant_id=tenant_id, seq=seq, head_hash=head_hash, created_at=created_at
        )
    )
    return hmac.new(_signing_key(), payload.encode("ascii"), hashlib.sha256).hexdigest()


# ---------------------------------------------------------------------------- input digests


def tenant_digest_key(tenant) -> bytes:
    """HMAC(AUDIT_DIGEST_KEY, tenant.digest_salt): the tenant's digest key, never stored."""
    key = settings.AUDIT_DIGEST_KEY
    if not key:
        raise RuntimeError("AUDIT_DIGEST_KEY (or SECRET_KEY) must be set to digest inputs")
    return hmac.new(key.encode(), tenant.digest_salt.encode(), hashlib.sha256).digest()


def input_digest(*, tenant, data) -> str:
    """A keyed digest of a model call's (or batch's) input, for the audit row.

    HMAC-SHA256 under the tenant's derived key over the canonical JSON of ``data``. Proves which
    input was used without storing it; because the key is secret and per tenant, nobody can
    recover a name or a date of birth by hashing candidates, nor link inputs across tenants.
    """
    if tenant is None:
        raise ValueError("input_digest needs a tenant: digests are keyed per tenant")
    message = canonical_json(data).encode("ascii")
    return hmac.new(tenant_digest_key(tenant), message, hashlib.sha256).hexdigest()
