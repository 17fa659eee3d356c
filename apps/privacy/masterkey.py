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
from django.core.exceptions import ImproperlyConfigured


class KeyUnavailable(Exception):
    """A key is gone (destroyed data keys, an unknown master key): the ciphertext is unreadable."""


class KeyBackend:
    """Wraps and unwraps data keys with a master key it never hands out."""

    def wrap(self, data_key: bytes) -> tuple[str, str]:
        """``(master key id, wrapped key)``."""
        raise NotImplementedError

    def unwrap(self, master_key_id: str, wrapped: str) -> bytes:
        raise NotImplementedError

    def rewrap(self, master_key_id: str, wrapped: str) -> tuple[str, str]:
        """``wrapped`` re-wrapped under the current master key (master key rotation)."""
        return self.wrap(self.unwrap(master_key_id, wrapped))

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


class KeyServiceError(Exception):
    """The key manager refused or could not be reached (a wrong token, a missing transit key,
    Vault down). Not a ``KeyUnavailable``: an encrypted field must fail loudly here, never read
    as erased nor fall back to another master key."""


class VaultTransitBackend(KeyBackend):
    """HashiCorp Vault's transit engine wraps data keys; the master key never leaves Vault.

    The wrapped key is Vault's ``vault:v<N>:...`` ciphertext and the master key id is
    ``vault:<transit key name>``, so a data key stays readable after VAULT_TRANSIT_KEY names a
    new key. Platform-wide keys are Vault HMACs pinned to version 1 of the transit key: a Vault
    key rotation must not change them (queued Celery messages and cached results would become
    unreadable), and they are cached per process (one Vault call per purpose, not per message).
    """

    PREFIX = "vault:"

    def __init__(self):
        import hvac  # only deployments with Vault need it (pinned in requirements.txt)

        self.client = hvac.Client(
            url=settings.VAULT_ADDR,
            token=settings.VAULT_TOKEN,
            timeout=getattr(settings, "VAULT_TIMEOUT_S", 10),
        )
        self.key_name = settings.VAULT_TRANSIT_KEY
        self.mount = getattr(settings, "VAULT_TRANSIT_MOUNT", "transit") or "transit"
        self._derived: dict[str, bytes] = {}

    def _call(self, operation: str, method, **kwargs) -> dict:
        """One transit call; hvac's and requests' errors become ``KeyServiceError`` naming
        the operation, the key and Vault's own message."""
        import hvac.exceptions
        import requests

        try:
            return method(mount_point=self.mount, **kwargs)
        except hvac.exceptions.VaultError as exc:
            hint = ""
            if isinstance(exc, (hvac.exceptions.Forbidden, hvac.exceptions.Unauthorized)):
                hint = " (check VAULT_TOKEN and its policy on the transit key)"
            raise KeyServiceError(
                f"Vault transit {operation} with key {kwargs.get('name')!r} at "
                f"{settings.VAULT_ADDR} failed: {exc}{hint}"
            ) from exc
        except requests.RequestException as exc:
            raise KeyServiceError(
                f"Vault at {settings.VAULT_ADDR} is unreachable ({operation}): {exc}"
            ) from exc

    def _name_of(self, master_key_id: str) -> str:
        if not master_key_id.startswith(self.PREFIX):
            raise KeyUnavailable(
                f"master key {master_key_id!r} is not a Vault transit key; rewrap it with "
                "privacy_rotate_keys under the backend that wrapped it first"
            )
        return master_key_id[len(self.PREFIX) :]

    def wrap(self, data_key: bytes) -> tuple[str, str]:
        answer = self._call(
            "encrypt",
            self.client.secrets.transit.encrypt_data,
            name=self.key_name,
            plaintext=base64.b64encode(data_key).decode(),
        )
        return f"{self.PREFIX}{self.key_name}", answer["data"]["ciphertext"]

    def unwrap(self, master_key_id: str, wrapped: str) -> bytes:
        answer = self._call(
            "decrypt",
            self.client.secrets.transit.decrypt_data,
            name=self._name_of(master_key_id),
            ciphertext=wrapped,
        )
        return base64.b64decode(answer["data"]["plaintext"])

    def rewrap(self, master_key_id: str, wrapped: str) -> tuple[str, str]:
        """Vault re-encrypts under the newest version of the key without handing the data key
        out; a key wrapped under another transit key name is unwrapped and wrapped anew."""
        name = self._name_of(master_key_id)
        if name != self.key_name:
            return super().rewrap(master_key_id, wrapped)
        answer = self._call(
            "rewrap", self.client.secrets.transit.rewrap_data, name=name, ciphertext=wrapped
        )
        return master_key_id, answer["data"]["ciphertext"]

    def derive(self, purpose: str) -> bytes:
        if purpose not in self._derived:
            answer = self._call(
                "hmac",
                self.client.secrets.transit.generate_hmac,
                name=self.key_name,
                hash_input=base64.b64encode(purpose.encode()).decode(),
                key_version=1,
            )
            self._derived[purpose] = hashlib.sha256(answer["data"]["hmac"].encode()).digest()
        return self._derived[purpose]


_backend_lock = threading.Lock()
_backend: tuple[tuple, KeyBackend] | None = None


def key_backend() -> KeyBackend:
    """The configured backend (rebuilt when the settings it reads change)."""
    global _backend
    config = (
        getattr(settings, "PRIVACY_KEY_BACKEND", "env"),
        tuple(getattr(settings, "PRIVACY_MASTER_KEYS", []) or []),
        settings.SECRET_KEY,
        getattr(settings, "VAULT_ADDR", ""),
        getattr(settings, "VAULT_TOKEN", ""),
        getattr(settings, "VAULT_TRANSIT_KEY", ""),
        getattr(settings, "VAULT_TRANSIT_MOUNT", "transit"),
    )
    with _backend_lock:
        if _backend is None or _backend[0] != config:
            if config[0] == "vault":
                backend = VaultTransitBackend()
            elif config[0] == "env":
                backend = EnvKeyBackend(config[1], config[2])
            else:  # a misspelt backend must not fall back to the environment's keys
                raise ImproperlyConfigured(
                    f"PRIVACY_KEY_BACKEND={config[0]!r}: one of 'env', 'vault'"
                )
            _backend = (config, backend)
        return _backend[1]


def platform_fernet(purpose: str) -> Fernet:
    """A Fernet key derived from the master key for ``purpose`` ("celery", "result-cache")."""
    return Fernet(base64.urlsafe_b64encode(key_backend().derive(purpose)))
