"""The master key: wraps tenant data keys and derives the platform-wide keys.

``key_backend()`` is ``EnvKeyBackend`` (PRIVACY_MASTER_KEYS, ``ID:BASE64`` pairs of 32-byte
keys, the first wraps, all unwrap; without any, one derived from SECRET_KEY for development)
or, with PRIVACY_KEY_BACKEND="vault", ``VaultTransitBackend`` (HashiCorp Vault's transit
engine through ``hvac``: VAULT_ADDR, VAULT_TOKEN, VAULT_TRANSIT_KEY). No database access here,
so the Celery serializer can use it before Django's models are loaded.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import threading

from cryptography.fernet import Fernet
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings


class KeyUnavailable(Exception):
    """A key is gone (destroyed data keys, an unknown master key): the ciphertext is unreadable."""


class KeyBackend:
    """Wraps and unwraps data keys with a master key it never hands out."""

    def wrap(self, data_key: bytes) -> tuple[str, str]:
        """``(master key id, wrapped key)``."""
        raise NotImplementedError

    def unwrap(self, master_key_id: str, wrapped: str) -> bytes:
        raise NotImplementedError

    def derive(self, purpose: str) -> bytes:
        """32 bytes for ``purpose``, derived from the master key (platform-wide keys)."""
        raise NotImplementedError


class EnvKeyBackend(KeyBackend):
    """Master keys from the environment, AES-256-GCM key wrapping (``cryptography``)."""

    def __init__(self, entries, fallback: str):
        self.keys: list[tuple[str, bytes]] = []
        for entry in entries:
            key_id, _, value = str(entry).partition(":")
            self.keys.append((key_id, base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))))
        if not self.keys:
            derived = hmac.new(fallback.encode(), b"privacy-master-key", hashlib.sha256).digest()
            self.keys = [("derived", derived)]

    def wrap(self, data_key: bytes) -> tuple[str, str]:
        key_id, master = self.keys[0]
        nonce = os.urandom(12)
        sealed = AESGCM(master).encrypt(nonce, data_key, key_id.encode())
        return key_id, base64.urlsafe_b64encode(nonce + sealed).decode()

    def unwrap(self, master_key_id: str, wrapped: str) -> bytes:
        master = dict(self.keys).get(master_key_id)
        if master is None:
            raise KeyUnavailable(f"master key {master_key_id!r} is not configured")
        raw = base64.urlsafe_b64decode(wrapped)
        return AESGCM(master).decrypt(raw[:12], raw[12:], master_key_id.encode())

    def derive(self, purpose: str) -> bytes:
        return hmac.new(self.keys[0][1], purpose.encode(), hashlib.sha256).digest()


class VaultTransitBackend(KeyBackend):
    """HashiCorp Vault's transit engine wraps data keys; the master key never leaves Vault.
    Platform-wide keys are derived from a data key Vault wraps once per process."""

    def __init__(self):
        import hvac  # optional dependency: only deployments with Vault install it

        self.client = hvac.Client(url=settings.VAULT_ADDR, token=settings.VAULT_TOKEN)
        self.key_name = settings.VAULT_TRANSIT_KEY

    def wrap(self, data_key: bytes) -> tuple[str, str]:
        answer = self.client.secrets.transit.encrypt_data(
            name=self.key_name, plaintext=base64.b64encode(data_key).decode()
        )
        return f"vault:{self.key_name}", answer["data"]["ciphertext"]

    def unwrap(self, master_key_id: str, wrapped: str) -> bytes:
        answer = self.client.secrets.transit.decrypt_data(name=self.key_name, ciphertext=wrapped)
        return base64.b64decode(answer["data"]["plaintext"])

    def derive(self, purpose: str) -> bytes:
        answer = self.client.secrets.transit.generate_hmac(
            name=self.key_name, hash_input=base64.b64encode(purpose.encode()).decode()
        )
        return hashlib.sha256(answer["data"]["hmac"].encode()).digest()


_backend_lock = threading.Lock()
_backend: tuple[tuple, KeyBackend] | None = None


def key_backend() -> KeyBackend:
    """The configured backend (rebuilt when the settings it reads change)."""
    global _backend
    config = (
        getattr(settings, "PRIVACY_KEY_BACKEND", "env"),
        tuple(getattr(settings, "PRIVACY_MASTER_KEYS", []) or []),
        settings.SECRET_KEY,
    )
    with _backend_lock:
        if _backend is None or _backend[0] != config:
            backend = (
                VaultTransitBackend()
                if config[0] == "vault"
                else EnvKeyBackend(config[1], config[2])
            )
            _backend = (config, backend)
        return _backend[1]


def platform_fernet(purpose: str) -> Fernet:
    """A Fernet key derived from the master key for ``purpose`` ("celery", "result-cache")."""
    return Fernet(base64.urlsafe_b64encode(key_backend().derive(purpose)))
