"""The key service: per-tenant data keys wrapped by a master key.

- Each tenant has data keys (``TenantDataKey``, versioned); a data key is 32 random bytes used
  as a Fernet key, stored only wrapped (encrypted) by the master key.
- The master key comes from a ``KeyBackend``: ``EnvKeyBackend`` (default: PRIVACY_MASTER_KEYS,
  ``ID:BASE64`` pairs, the first wraps, all unwrap; without it one key derived from
  SECRET_KEY, for development) or ``VaultTransitBackend`` (HashiCorp Vault's transit engine
  through ``hvac``; PRIVACY_KEY_BACKEND="vault", VAULT_ADDR, VAULT_TOKEN, VAULT_TRANSIT_KEY).
- ``encrypt(tenant_id, text)`` gives ``pv1:<tenant>:<version>:<fernet token>``; ``decrypt``
  reads any version of that tenant's keys (MultiFernet), so rotation (``tenant_key_rotate`` and
  the ``privacy_rotate_keys`` command) never makes a value unreadable.
- ``tenant_keys_destroy`` crypto-shreds: with every version gone, every ciphertext of the
  tenant left anywhere (a backup, a queue, a cache) is unreadable.
- ``tenant_keys_rewrap`` re-wraps a tenant's data keys under the master key's current version
  (``privacy_rotate_keys`` does it first), so a retired master key is no longer needed.
- ``platform_fernet(purpose)``: a key derived from the master key for data with no tenant at
  hand (Celery messages, the result cache).
"""

from __future__ import annotations

import base64
import os
import time
import uuid

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.db import IntegrityError, transaction
from django.utils import timezone

from .masterkey import KeyServiceError, KeyUnavailable, key_backend, platform_fernet
from .models import TenantDataKey

__all__ = [
    "KeyServiceError",
    "KeyUnavailable",
    "decrypt",
    "encrypt",
    "platform_fernet",
    "tenant_keys_destroy",
]

PREFIX = "pv1:"
_CACHE_S = 60.0


# tenant id -> (loaded at, {version: Fernet}); short-lived so a destroyed key stops working.
_tenant_keys: dict[str, tuple[float, dict[int, Fernet]]] = {}


def _tenant_text(tenant_id) -> str:
    """A tenant id as one text whatever it came as: a UUID, its dashed string, or the 32 hex
    digits SQLite stores (which raw-SQL callers such as the key rotation read back)."""
    try:
        return str(uuid.UUID(str(tenant_id)))
    except ValueError:
        return str(tenant_id)


def _load_keys(tenant_id) -> dict[int, Fernet]:
    key = _tenant_text(tenant_id)
    cached = _tenant_keys.get(key)
    if cached is not None and time.monotonic() - cached[0] < _CACHE_S:
        return cached[1]
    backend = key_backend()
    keys = {}
    for row in TenantDataKey.objects.filter(tenant_id=tenant_id, destroyed_at__isnull=True):
        data_key = backend.unwrap(row.master_key_id, row.wrapped_key)
        keys[row.version] = Fernet(base64.urlsafe_b64encode(data_key))
    _tenant_keys[key] = (time.monotonic(), keys)
    return keys


def _create_version(tenant_id, version: int) -> None:
    master_key_id, wrapped = key_backend().wrap(os.urandom(32))
    try:
        with transaction.atomic():
            TenantDataKey.objects.create(
                tenant_id=tenant_id,
                version=version,
                wrapped_key=wrapped,
                master_key_id=master_key_id,
            )
    except IntegrityError:
        pass  # a concurrent writer created it first
    _tenant_keys.pop(_tenant_text(tenant_id), None)


def _current(tenant_id) -> tuple[int, Fernet]:
    keys = _load_keys(tenant_id)
    if not keys:
        if TenantDataKey.objects.filter(tenant_id=tenant_id, destroyed_at__isnull=False).exists():
            raise KeyUnavailable(f"the data keys of tenant {tenant_id} were destroyed")
        _create_version(tenant_id, 1)
        keys = _load_keys(tenant_id)
    version = max(keys)
    return version, keys[version]


def is_encrypted(value) -> bool:
    if isinstance(value, (bytes, memoryview)):
        return bytes(value[: len(PREFIX)]) == PREFIX.encode()
    return isinstance(value, str) and value.startswith(PREFIX)


def encrypt_bytes(tenant_id, data: bytes) -> bytes:
    """``data`` encrypted under the tenant's current data key: ``pv1:<tenant>:<version>:`` and
    a Fernet token."""
    version, fernet = _current(tenant_id)
    prefix = f"{PREFIX}{_tenant_text(tenant_id)}:{version}:"
    return prefix.encode() + fernet.encrypt(bytes(data))


def decrypt_bytes(value) -> bytes:
    """The plaintext of an ``encrypt_bytes`` result (any key version of its tenant)."""
    tenant_id, version, token = bytes(value)[len(PREFIX) :].split(b":", 2)
    keys = _load_keys(tenant_id.decode())
    if not keys:
        raise KeyUnavailable(f"no data key of tenant {tenant_id.decode()}: destroyed or never made")
    ordered = [keys[v] for v in sorted(keys, reverse=True)]
    try:
        return MultiFernet(ordered).decrypt(token)
    except InvalidToken as exc:
        raise KeyUnavailable(
            f"key version {version.decode()} of tenant {tenant_id.decode()} is gone"
        ) from exc


def encrypt(tenant_id, text: str) -> str:
    """``text`` encrypted under the tenant's current data key."""
    return encrypt_bytes(tenant_id, text.encode("utf-8")).decode("ascii")


def decrypt(value: str) -> str:
    """The plaintext of an ``encrypt`` result (any key version of its tenant)."""
    return decrypt_bytes(value.encode("ascii")).decode("utf-8")


def needs_rotation(value: str, tenant_id) -> bool:
    """Whether ``value`` is encrypted under an older version than the tenant's current one."""
    if not is_encrypted(value):
        return True
    raw = bytes(value) if isinstance(value, (bytes, memoryview)) else value.encode("ascii")
    return int(raw[len(PREFIX) :].split(b":", 2)[1]) < _current(tenant_id)[0]


def tenant_key_rotate(*, tenant) -> int:
    """Add a new data-key version for ``tenant``; new values use it, old ones stay readable
    until ``privacy_rotate_keys`` re-encrypts them. Returns the new version."""
    current = (
        TenantDataKey.objects.filter(tenant=tenant)
        .order_by("-version")
        .values_list("version", flat=True)
        .first()
        or 0
    )
    _create_version(tenant.pk, current + 1)
    return current + 1


def tenant_keys_rewrap(*, tenant) -> int:
    """Re-wrap every live data key of ``tenant`` under the master key's current version (a new
    first PRIVACY_MASTER_KEYS entry, or the newest version of the Vault transit key), so the old
    master key can then be retired. The data keys themselves, and so every ciphertext, are
    unchanged. Returns how many were re-wrapped."""
    backend = key_backend()
    rows = TenantDataKey.objects.filter(tenant=tenant, destroyed_at__isnull=True)
    for row in rows:
        row.master_key_id, row.wrapped_key = backend.rewrap(row.master_key_id, row.wrapped_key)
        row.save(update_fields=["master_key_id", "wrapped_key"])
    _tenant_keys.pop(_tenant_text(tenant.pk), None)
    return len(rows)


def tenant_keys_destroy(*, tenant) -> int:
    """Destroy every data key of ``tenant`` (crypto-shredding). Returns how many."""
    destroyed = TenantDataKey.objects.filter(tenant=tenant, destroyed_at__isnull=True).update(
        wrapped_key="", destroyed_at=timezone.now()
    )
    _tenant_keys.pop(str(tenant.pk), None)
    return destroyed
