"""Ed25519 keys that sign checkpoints and anchors, named by a key id so that keys can rotate.

``AUDIT_ED25519_KEYS`` lists ``key_id:seed`` pairs (the seed is 32 bytes, URL-safe base64); the
first signs, all verify. ``AUDIT_ED25519_RETIRED_PUBLIC_KEYS`` lists ``key_id:public`` pairs of
keys that no longer sign but whose old signatures must still verify. Without either, one key is
derived from AUDIT_SIGNING_KEY (development and tests): whoever can rewrite the database still
cannot sign, because no key lives in the database.

A verifier trusts only keys named in settings, never a key found next to the signature: a
checkpoint or anchor re-signed with an attacker's key under our key id fails.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass
from functools import lru_cache

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from django.conf import settings

from .hashing import canonical_json, checkpoint_hmac, checkpoint_payload

# Signatures made before Ed25519 (HMAC-SHA256 under AUDIT_SIGNING_KEY) carry this key id.
LEGACY_HMAC_KEY_ID = ""


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii")


def unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text.encode("ascii") + b"=" * (-len(text) % 4))


def public_bytes(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(Encoding.Raw, PublicFormat.Raw)


def new_key_pair() -> tuple[str, str, str]:
    """A fresh ``(key_id, seed, public)``, base64: what ``audit_keygen`` prints."""
    private = Ed25519PrivateKey.generate()
    seed = private.private_bytes_raw()
    public = public_bytes(private.public_key())
    return key_id_of(public), b64(seed), b64(public)


def key_id_of(public: bytes) -> str:
    """A key's id: ``ed25519-`` and the first 16 hex digits of the public key's SHA-256."""
    return "ed25519-" + hashlib.sha256(public).hexdigest()[:16]


@dataclass(frozen=True)
class KeyRing:
    """The signing key (id and private key) and every public key a verifier trusts."""

    signing_id: str
    signing_key: Ed25519PrivateKey
    public: dict[str, Ed25519PublicKey]


def _pairs(entries) -> list[tuple[str, str]]:
    pairs = []
    for entry in entries:
        key_id, sep, value = str(entry).strip().partition(":")
        if not sep or not key_id or not value:
            raise ValueError(f"audit key entry {key_id!r} must be KEY_ID:BASE64")
        pairs.append((key_id, value))
    return pairs


@lru_cache(maxsize=8)
def _ring(keys: tuple, retired: tuple, fallback: str) -> KeyRing:
    private_keys = [(kid, Ed25519PrivateKey.from_private_bytes(unb64(s))) for kid, s in keys]
    if not private_keys:
        if not fallback:
            raise RuntimeError("AUDIT_ED25519_KEYS or AUDIT_SIGNING_KEY must be set to sign")
        seed = hmac.new(fallback.encode(), b"audit-ed25519-signing-key", hashlib.sha256).digest()
        private = Ed25519PrivateKey.from_private_bytes(seed)
        private_keys = [(key_id_of(public_bytes(private.public_key())), private)]
    public = {kid: key.public_key() for kid, key in private_keys}
    for kid, value in retired:
        public.setdefault(kid, Ed25519PublicKey.from_public_bytes(unb64(value)))
    return KeyRing(private_keys[0][0], private_keys[0][1], public)


def key_ring() -> KeyRing:
    """The key ring that settings describe (cached per distinct settings)."""
    return _ring(
        tuple(_pairs(getattr(settings, "AUDIT_ED25519_KEYS", []) or [])),
        tuple(_pairs(getattr(settings, "AUDIT_ED25519_RETIRED_PUBLIC_KEYS", []) or [])),
        settings.AUDIT_SIGNING_KEY or "",
    )


def sign(payload: dict) -> tuple[str, str]:
    """``(key_id, signature hex)`` of ``payload``'s canonical JSON under the signing key."""
    ring = key_ring()
    signature = ring.signing_key.sign(canonical_json(payload).encode("ascii"))
    return ring.signing_id, signature.hex()


def signature_valid(payload: dict, *, key_id: str, signature: str) -> bool:
    """Whether ``signature`` over ``payload`` verifies under the trusted key named ``key_id``."""
    public = key_ring().public.get(key_id)
    if public is None:
        return False
    try:
        public.verify(bytes.fromhex(signature), canonical_json(payload).encode("ascii"))
    except (InvalidSignature, ValueError):
        return False
    return True


def checkpoint_sign(checkpoint) -> None:
    """Set ``checkpoint.key_id`` and ``signature`` (Ed25519 over its canonical payload)."""
    checkpoint.key_id, checkpoint.signature = sign(_checkpoint_payload(checkpoint))


def checkpoint_signature_valid(checkpoint) -> bool:
    """Whether the checkpoint's signature verifies: Ed25519 under a trusted key id, or, for
    checkpoints signed before Ed25519 (key id ""), the HMAC under AUDIT_SIGNING_KEY."""
    if checkpoint.key_id == LEGACY_HMAC_KEY_ID:
        expected = checkpoint_hmac(
            chain=checkpoint.chain,
            tenant_id=checkpoint.tenant_id,
            seq=checkpoint.seq,
            head_hash=checkpoint.head_hash,
            created_at=checkpoint.created_at,
        )
        return hmac.compare_digest(expected, checkpoint.signature)
    return signature_valid(
        _checkpoint_payload(checkpoint), key_id=checkpoint.key_id, signature=checkpoint.signature
    )


def _checkpoint_payload(checkpoint) -> dict:
    return checkpoint_payload(
        chain=checkpoint.chain,
        tenant_id=checkpoint.tenant_id,
        seq=checkpoint.seq,
        head_hash=checkpoint.head_hash,
        created_at=checkpoint.created_at,
    )
