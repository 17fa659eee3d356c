"""JSON types checked before DRF's fields see a value: no coercion across types.

DRF's fields are lenient by design: ``CharField`` turns ``12345`` into ``"12345"``,
``BooleanField`` takes ``"yes"``, ``1`` and ``"on"`` as true, ``IntegerField`` takes ``"12"``. In
a JSON API that hides client bugs (a chat message of ``12345`` was stored as text; ``"stream":
"false"`` would be… true for a client that meant it). ``type_errors`` compares each value of a
request body with the JSON type its field documents in the OpenAPI schema and names every
mismatch; ``apps.core.serializers.StrictSerializer`` (the base of every request body) runs it on
JSON bodies. Query strings and multipart forms are text by nature and keep DRF's parsing.

What each field accepts (``null`` stays the field's own ``allow_null`` decision):

- ``BooleanField``: ``true``/``false`` only.
- ``CharField`` and its kin (regex, e-mail, URL, slug, IP), date/time/duration, ``UUIDField``:
  a string.
- ``IntegerField``: an integer (not a boolean, not ``1.5``, not ``"12"``).
- ``FloatField``: a number (not a boolean, not ``"1.5"``).
- ``DecimalField``: a number or a decimal string (the schema writes decimals as strings, and a
  number is the same value), never a boolean.
- ``ChoiceField``: the JSON type of its choices (``"agent"``, or ``3`` for integer choices).
- ``ListField``/``MultipleChoiceField``: a list whose items are checked against the child.
- ``DictField``: an object whose values are checked against the child.
- Nested serializers (one object or a list of them) are checked field by field from the top,
  whatever their own class; ``JSONField``, files and relations are left to their fields.
"""

from __future__ import annotations

import datetime
import uuid
from decimal import Decimal

from rest_framework import fields, serializers


def json_type(value) -> str:
    """The JSON name of a parsed value's type, as a client would say it."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float | Decimal):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list | tuple):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value) -> bool:
    return isinstance(value, int | float | Decimal) and not isinstance(value, bool)


def _is_str(value) -> bool:
    return isinstance(value, str)


def _choice_check(field: fields.ChoiceField):
    keys = list(field.choices)
    if keys and all(isinstance(key, str) for key in keys):
        return _is_str, "a string"
    if keys and all(_is_int(key) for key in keys):
        return _is_int, "an integer"
    return None


# Text in JSON; the Python value itself when a serializer is fed by our own code (a parsed JSON
# body never holds one, so accepting it loosens nothing for a client).
TEXT_FIELDS = {
    fields.DateTimeField: datetime.datetime,
    fields.DateField: datetime.date,
    fields.TimeField: datetime.time,
    fields.DurationField: datetime.timedelta,
    fields.UUIDField: uuid.UUID,
    fields.CharField: str,
}


def expected(field: fields.Field):
    """``(check, description)`` for the JSON type ``field`` takes, or None (the field decides)."""
    if isinstance(field, fields.BooleanField):
        return (lambda value: isinstance(value, bool)), "a boolean"
    if isinstance(
        field, fields.MultipleChoiceField | fields.ListField | serializers.ListSerializer
    ):
        return (lambda value: isinstance(value, list)), "a list"
    if isinstance(field, fields.FilePathField):
        return _is_str, "a string"
    if isinstance(field, fields.ChoiceField):
        return _choice_check(field)
    for field_class, native in TEXT_FIELDS.items():
        if isinstance(field, field_class):
            return (lambda value, native=native: isinstance(value, str | native)), "a string"
    if isinstance(field, fields.IntegerField):
        return _is_int, "an integer"
    if isinstance(field, fields.FloatField):
        return _is_number, "a number"
    if isinstance(field, fields.DecimalField):
        return (lambda value: _is_number(value) or _is_str(value)), "a number or a decimal string"
    if isinstance(field, fields.DictField | serializers.Serializer):
        return (lambda value: isinstance(value, dict)), "an object"
    return None


def value_errors(field: fields.Field, value):
    """The type errors of one value: a list of messages, a ``{index/key: [...]}`` dict for a
    list's items or an object's values, or None when the value has the documented type."""
    if value is None:
        return None  # allow_null is the field's decision, made by the field
    rule = expected(field)
    if rule is not None:
        check, description = rule
        if not check(value):
            return [f"Must be {description}, not {json_type(value)}."]
    if isinstance(field, fields.ListField) and field.child is not None:
        items = {i: e for i, item in enumerate(value) if (e := value_errors(field.child, item))}
        return items or None
    if isinstance(field, fields.MultipleChoiceField):
        rule = _choice_check(field)
        if rule is not None:
            check, description = rule
            bad = [item for item in value if not check(item)]
            if bad:
                return [f"Items must be {description}, not {json_type(bad[0])}."]
    if isinstance(field, fields.DictField) and field.child is not None:
        items = {k: e for k, item in value.items() if (e := value_errors(field.child, item))}
        return items or None
    # Nested bodies are checked from the top, whatever their own class: a plain serializer
    # nested in a strict one must not be the hole a number slips through as text.
    nested_list = isinstance(field, serializers.ListSerializer)
    if nested_list and isinstance(field.child, serializers.Serializer):
        items = {
            i: e
            for i, item in enumerate(value)
            if isinstance(item, dict) and (e := type_errors(field.child.fields, item))
        }
        return items or None
    if isinstance(field, serializers.Serializer):
        return type_errors(field.fields, value) or None
    return None


def type_errors(serializer_fields, data) -> dict:
    """``{field name: errors}`` for every writable field of ``data`` whose value has another
    JSON type than the field documents."""
    errors = {}
    for name, field in serializer_fields.items():
        if field.read_only or field.source == "*" or name not in data:
            continue
        problems = value_errors(field, data[name])
        if problems:
            errors[name] = problems
    return errors
