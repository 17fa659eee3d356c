"""Serializer bases. Input serializers reject fields they do not know: a typo in a field name
must be an error the client sees, not a silently ignored value."""

from rest_framework import serializers


class RejectUnknownFieldsMixin:
    def to_internal_value(self, data):
        if isinstance(data, dict):
            known = {name for name, field in self.fields.items() if not field.read_only}
            unknown = sorted(set(data) - known)
            if unknown:
                raise serializers.ValidationError({name: ["Unknown field."] for name in unknown})
        return super().to_internal_value(data)


class StrictSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    """A plain serializer for request bodies."""


class StrictModelSerializer(RejectUnknownFieldsMixin, serializers.ModelSerializer):
    """A model serializer for request bodies."""
