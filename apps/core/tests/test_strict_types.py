"""Strict JSON types reach into nested bodies, whatever the nested serializer's own class."""

import pytest
from rest_framework import serializers

from apps.core.serializers import StrictSerializer


class PlainLine(serializers.Serializer):  # deliberately not strict itself
    name = serializers.CharField()
    urgent = serializers.BooleanField(required=False)


class Order(StrictSerializer):
    lines = PlainLine(many=True)
    first = PlainLine(required=False)


def _errors(data) -> dict:
    body = Order(data=data)
    assert not body.is_valid()
    return body.errors


def test_a_number_as_text_in_a_nested_list_is_named():
    errors = _errors({"lines": [{"name": "ok"}, {"name": 12345}]})
    assert errors == {"lines": {1: {"name": ["Must be a string, not a number."]}}}


@pytest.mark.parametrize("value", ["yes", 1])
def test_a_string_or_number_as_a_boolean_in_a_nested_object_is_named(value):
    errors = _errors({"lines": [], "first": {"name": "x", "urgent": value}})
    assert list(errors) == ["first"] and list(errors["first"]) == ["urgent"]


def test_well_typed_nested_bodies_pass():
    body = Order(data={"lines": [{"name": "a", "urgent": True}], "first": {"name": "b"}})
    assert body.is_valid(), body.errors
