"""Query-string filters shared by the API's filter sets, and the filter backends every list uses
(``REST_FRAMEWORK["DEFAULT_FILTER_BACKENDS"]``): a value a filter cannot use is a 400 naming
the parameter, never a silently unfiltered or default-ordered list."""

from __future__ import annotations

from datetime import UTC

import django_filters
from django import forms
from django_filters import utils
from django_filters.fields import IsoDateTimeField
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import serializers
from rest_framework.filters import OrderingFilter


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


class StrictFilterBackend(DjangoFilterBackend):
    """django-filter, with no value dropped in silence.

    A boolean filter reads anything but ``true``/``false`` as "no filter" (django-filter's
    ``BooleanWidget``), so ``?is_fraud=yes`` answered the whole list. Here a filter given a
    non-empty value that it cleaned to nothing is a 400 naming it.
    """

    def filter_queryset(self, request, queryset, view):
        filterset = self.get_filterset(request, queryset, view)
        if filterset is None:
            return queryset
        if not filterset.is_valid():
            raise utils.translate_validation(filterset.errors)
        errors = {}
        for name, value in filterset.form.cleaned_data.items():
            raw = filterset.data.get(name)
            if value is None and isinstance(raw, str) and raw.strip():
                field = filterset.form.fields[name]
                boolean = isinstance(field, forms.NullBooleanField)
                errors[name] = ["Must be true or false." if boolean else "Not a valid value."]
        if errors:
            raise serializers.ValidationError(errors)
        return filterset.qs


class StrictOrderingFilter(OrderingFilter):
    """``?ordering=`` with a field the list cannot be ordered by is a 400 naming ``ordering``,
    listing the fields it can (DRF drops such a term, so a typo gave the default order)."""

    def remove_invalid_fields(self, queryset, fields, view, request):
        valid = super().remove_invalid_fields(queryset, fields, view, request)
        invalid = [term for term in fields if term not in valid]
        if invalid:
            allowed = sorted(
                name for name, _ in self.get_valid_fields(queryset, view, {"request": request})
            )
            raise serializers.ValidationError(
                {
                    self.ordering_param: [
                        f"Cannot order by {', '.join(repr(t) for t in invalid)}; this list "
                        f"orders by: {', '.join(allowed)} (a leading - for descending)."
                    ]
                }
            )
        return valid
