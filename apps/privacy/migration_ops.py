"""Encrypting stored values in place: the verticals' ``*_encrypt_fields_at_rest`` migrations
and key rotation (``privacy_rotate_keys``) use ``encrypt_existing_rows``."""

from __future__ import annotations

import json

from django.db import connection, models

from . import keys

BATCH = 500
EMPTY_JSON = ("{}", "[]", '""', "null")  # like empty text and bytes: nothing to encrypt


def encrypt_existing_rows(model, field: str, *, tenant_field: str = "tenant_id") -> int:
    """Encrypt every value of ``model.field`` stored in clear, and re-encrypt every value under
    an older key version of its tenant, in batches of BATCH. Returns how many changed.

    Reads the raw column (the field itself would decrypt on read). A text value stored before
    is read through the field's ``clear_value`` (values under an older cipher). A JSON field's
    column holds JSON: its ciphertext is a JSON string, its clear values are re-encoded as JSON
    text."""
    meta = model._meta
    clear = getattr(meta.get_field(field), "clear_value", lambda stored: stored)
    is_json = isinstance(meta.get_field(field), models.JSONField)
    quote = connection.ops.quote_name
    pk, tenant, column = (
        quote(meta.pk.column),
        quote(meta.get_field(tenant_field.removesuffix("_id")).column),
        quote(meta.get_field(field).column),
    )
    select = f"SELECT {pk}, {tenant}, {column} FROM {quote(meta.db_table)}"
    changed, last = 0, None
    while True:
        with connection.cursor() as cursor:
            if last is None:
                cursor.execute(f"{select} ORDER BY {pk} LIMIT %s", [BATCH])
            else:
                cursor.execute(f"{select} WHERE {pk} > %s ORDER BY {pk} LIMIT %s", [last, BATCH])
            rows = cursor.fetchall()
        if not rows:
            return changed
        for row_pk, tenant_id, value in rows:
            last = row_pk
            if is_json and value is not None:
                value = _json_text(value)
                if value in EMPTY_JSON:
                    continue  # nothing to hide (a batch decision's inputs: a million of them)
            if value is None or not len(value) or not keys.needs_rotation(value, tenant_id):
                continue
            if isinstance(value, (bytes, memoryview)):
                plain = keys.decrypt_bytes(value) if keys.is_encrypted(value) else bytes(value)
                stored = keys.encrypt_bytes(tenant_id, plain)
            else:
                plain = keys.decrypt(value) if keys.is_encrypted(value) else clear(value)
                stored = keys.encrypt(tenant_id, plain)
            model.objects.filter(pk=row_pk).update(**{field: stored})
            changed += 1


def _json_text(raw) -> str:
    """A jsonb column's value as the text to encrypt, or the ciphertext it already holds."""
    value = json.loads(raw) if isinstance(raw, str) else raw
    if isinstance(value, str) and keys.is_encrypted(value):
        return value
    return json.dumps(value)
