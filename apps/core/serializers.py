"""Serializer bases for request bodies, used by every API view that reads one.

- Unknown fields are rejected: a typo in a field name must be an error the client sees, not a
  silently ignored value.
- Types are strict (``apps.core.strict_types``): ``{"text": 12345}`` is not a string and
  ``"stream": "yes"`` is not a boolean; the 400 names each field and the type it wanted.
"""

from django.http import QueryDict
from rest_framework import serializers

from .strict_types import type_errors


class RejectUnknownFieldsMixin:
    def to_internal_value(self, data):
        if isinstance(data, dict):
            known = {name for name, field in self.fields.items() if not field.read_only}
            unknown = sorted(set(data) - known)
            if unknown:
                raise serializers.ValidationError({name: ["Unknown field."] for name in unknown})
        return super().to_internal_value(data)


class StrictTypesMixin:
    """JSON values must have the JSON type their field documents. Query strings and multipart
    forms (a ``QueryDict``) are text by nature: their fields parse them as before."""

    def to_internal_value(self, data):
        if isinstance(data, dict) and not isinstance(data, QueryDict):
            errors = type_errors(self.fields, data)
            if errors:
                raise serializers.ValidationError(errors)
        return super().to_internal_value(data)


class StrictSerializer(RejectUnknownFieldsMixin, StrictTypesMixin, serializers.Serializer):
    """A plain serializer for request bodies."""


class StrictModelSerializer(
    RejectUnknownFieldsMixin, StrictTypesMixin, serializers.ModelSerializer
):
    """A model serializer for request bodies."""
