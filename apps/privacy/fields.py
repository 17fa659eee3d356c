"""``EncryptedTextField`` (and ``EncryptedBinaryField``, ``EncryptedJSONField``): stored
encrypted under the row's tenant data key.

The model keeps plaintext in memory; ``pre_save`` encrypts with the key of the instance's
``tenant_id`` (``apps.privacy.keys``), and values read back are decrypted. The column holds
``pv1:<tenant>:<version>:<token>`` only. A value of a tenant whose keys were destroyed reads
as ``ERASED`` (crypto-shredded). Exact lookups on the column cannot work: search through a
keyed digest column where one is needed.

``EncryptedJSONField`` keeps its ``jsonb`` column: the stored JSON is one string, the
ciphertext of the value's JSON text. Rows written in clear (before the migration that encrypts
them, or by a bulk ``COPY`` of empty values) still read as their JSON. Key lookups
(``field__key=``) cannot work on it.

``pre_save`` encrypts: ``QuerySet.update()`` and ``bulk_update()`` skip it and would store
clear text, so the services write these fields through ``save()`` or ``create()``.
"""

from __future__ import annotations

import json

from django.db import models

from . import keys

ERASED = "[erased]"


class _TenantKeyed:
    """``tenant_field``: the model attribute naming whose data key encrypts the value."""

    def __init__(self, *args, tenant_field: str = "tenant_id", **kwargs):
        self.tenant_field = tenant_field
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        if self.tenant_field != "tenant_id":
            kwargs["tenant_field"] = self.tenant_field
        return name, path, args, kwargs


class EncryptedTextField(_TenantKeyed, models.TextField):
    """A TextField whose database value is ciphertext under the tenant's data key."""

    def pre_save(self, model_instance, add):
        value = getattr(model_instance, self.attname)
        if value is None or value == "" or keys.is_encrypted(value):
            return value
        return keys.encrypt(getattr(model_instance, self.tenant_field), str(value))

    def clear_value(self, stored: str) -> str:
        """The plaintext of a value stored before this field encrypted it: the value itself
        here; a field that replaced another cipher (the medical pseudonym values) decodes it.
        The migration helper and key rotation use it too (``migration_ops``)."""
        return stored

    def from_db_value(self, value, expression, connection):
        if not keys.is_encrypted(value):
            # rows written before encryption (the migration converts them)
            return self.clear_value(value) if value else value
        try:
            return keys.decrypt(value)
        except keys.KeyUnavailable:
            return ERASED


class EncryptedBinaryField(_TenantKeyed, models.BinaryField):
    """A BinaryField (uploaded files, dataset rows) stored encrypted under its row's tenant
    data key; reads give the plaintext bytes (empty once the tenant's keys are destroyed)."""

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


class EncryptedJSONField(_TenantKeyed, models.JSONField):
    """A JSONField whose stored value is a JSON string of ciphertext under the tenant's data
    key (module docstring). Reads give the JSON value; once the tenant's keys are destroyed,
    the field's default (``{}`` for ``default=dict``)."""

    def pre_save(self, model_instance, add):
        value = getattr(model_instance, self.attname)
        if value is None or keys.is_encrypted(value):
            return value
        text = json.dumps(value, cls=self.encoder)
        return keys.encrypt(getattr(model_instance, self.tenant_field), text)

    def from_db_value(self, value, expression, connection):
        value = super().from_db_value(value, expression, connection)
        if not keys.is_encrypted(value):
            return value
        try:
            return json.loads(keys.decrypt(value), cls=self.decoder)
        except keys.KeyUnavailable:
            return self.get_default()
