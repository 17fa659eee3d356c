"""``EncryptedTextField`` (and ``EncryptedBinaryField``): stored encrypted under the row's
tenant data key.

The model keeps plaintext in memory; ``pre_save`` encrypts with the key of the instance's
``tenant_id`` (``apps.privacy.keys``), and values read back are decrypted. The column holds
``pv1:<tenant>:<version>:<token>`` only. A value of a tenant whose keys were destroyed reads
as ``ERASED`` (crypto-shredded). Exact lookups on the column cannot work: search through a
keyed digest column where one is needed.
"""

from __future__ import annotations

from django.db import models

from . import keys

ERASED = "[erased]"


class EncryptedTextField(models.TextField):
    """A TextField whose database value is ciphertext under the tenant's data key."""

    def __init__(self, *args, tenant_field: str = "tenant_id", **kwargs):
        self.tenant_field = tenant_field
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        if self.tenant_field != "tenant_id":
            kwargs["tenant_field"] = self.tenant_field
        return name, path, args, kwargs

    def pre_save(self, model_instance, add):
        value = getattr(model_instance, self.attname)
        if value is None or value == "" or keys.is_encrypted(value):
            return value
        return keys.encrypt(getattr(model_instance, self.tenant_field), str(value))

    def from_db_value(self, value, expression, connection):
        if not keys.is_encrypted(value):
            return value  # rows written before encryption (the migration converts them)
        try:
            return keys.decrypt(value)
        except keys.KeyUnavailable:
            return ERASED


class EncryptedBinaryField(models.BinaryField):
    """A BinaryField (uploaded files, dataset rows) stored encrypted under its row's tenant
    data key; reads give the plaintext bytes (empty once the tenant's keys are destroyed)."""

    def __init__(self, *args, tenant_field: str = "tenant_id", **kwargs):
        self.tenant_field = tenant_field
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        if self.tenant_field != "tenant_id":
            kwargs["tenant_field"] = self.tenant_field
        return name, path, args, kwargs

    def pre_save(self, model_instance, add):
        value = getattr(model_instance, self.attname)
        if value is None or not len(value) or keys.is_encrypted(value):
            return value
        return keys.encrypt_bytes(getattr(model_instance, self.tenant_field), bytes(value))

    def from_db_value(self, value, expression, connection):
        if value is None or not keys.is_encrypted(value):
            return value
        try:
            return keys.decrypt_bytes(value)
        except keys.KeyUnavailable:
            return b""
