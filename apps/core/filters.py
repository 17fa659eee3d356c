"""Query-string filters shared by the API's filter sets."""

from __future__ import annotations

from datetime import UTC

import django_filters
from django import forms
from django_filters.fields import IsoDateTimeField


class UtcIsoDateTimeField(IsoDateTimeField):
    """An ISO 8601 date-time, converted to UTC.

    Python accepts UTC offsets up to ±23:59, PostgreSQL only up to ±15:59: a query with
    ``2026-01-01T00:00-19:48`` reached the database as-is and failed there (a 500, found by
    tests/test_schemathesis.py). In UTC every valid instant is acceptable to the database.
    """

    def to_python(self, value):
        value = super().to_python(value)
        if value is None or value.tzinfo is None:
            return value
        try:
            return value.astimezone(UTC)
        except OverflowError as exc:
            raise forms.ValidationError("Date-time is out of range.", code="invalid") from exc


class UtcIsoDateTimeFilter(django_filters.IsoDateTimeFilter):
    """``IsoDateTimeFilter`` whose value is compared in UTC (see UtcIsoDateTimeField)."""

    field_class = UtcIsoDateTimeField
