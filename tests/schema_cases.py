"""Cases generated from the OpenAPI schema (``/api/schema/``) for the API-wide walkers:

- ``type_confusions``: for every operation with a JSON body, every documented property with a
  scalar type, in the body or in an object nested in it, gets values of the wrong JSON type (a
  number for a string, ``"yes"`` and ``1`` for a boolean, ``"12"`` for an integer…);
- ``query_parameters``: the query parameters each operation documents.

Path parameters are filled with a row made for the operation's model (tests/isolation_registry),
so that detail operations reach their body validation instead of a 404.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.urls import Resolver404, resolve

from apps.core.public_ids import public_id_of
from apps.surface.viewsets import TenantScopedMixin
from tests.isolation_registry import make_row

# The wrong JSON values sent for each documented type.
CONFUSIONS = {
    "string": [12345, True],
    "boolean": ["yes", 1],
    "integer": ["12", True, 1.5],
    "number": ["1.5", True],
    "array": ["a,b"],
    "object": ["{}"],
}
# A decimal is documented as a string ("format": "decimal"); a JSON number is the same value.
DECIMAL_CONFUSIONS = [True, [1]]


def load_schema(client) -> dict:
    response = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200, response.content[:500]
    return response.json()


def _resolve_ref(schema: dict, node: dict) -> dict:
    while "$ref" in node:
        name = node["$ref"].rsplit("/", 1)[-1]
        node = schema["components"]["schemas"][name]
    if "allOf" in node and len(node["allOf"]) == 1:
        merged = {**_resolve_ref(schema, node["allOf"][0]), **node}
        merged.pop("allOf")
        return merged
    return node


def _wrong_values(prop: dict) -> list:
    if prop.get("format") == "decimal":
        return DECIMAL_CONFUSIONS
    kind = prop.get("type")
    if kind is None and "enum" in prop:
        kind = "string" if all(isinstance(v, str) for v in prop["enum"] if v) else None
    if kind == "array":
        items = prop.get("items") or {}
        inner = CONFUSIONS.get(items.get("type"), [])
        return CONFUSIONS["array"] + [[value] for value in inner[:1]]
    return list(CONFUSIONS.get(kind, []))


@dataclass(frozen=True)
class Operation:
    method: str
    path: str  # as the schema writes it: /api/v1/knowledge/graphs/{id}/search/

    def url(self, tenant) -> str:
        """The path with its parameter filled by a row of the operation's model (or ``1``)."""
        if "{" not in self.path:
            return self.path
        probe = re.sub(r"\{[^}]+\}", "1", self.path)
        try:
            view_class = resolve(probe).func.cls
        except (Resolver404, AttributeError):
            return probe
        pk = 1
        if issubclass(view_class, TenantScopedMixin) and view_class.queryset is not None:
            pk = public_id_of(make_row(view_class.queryset.model, tenant))
        return re.sub(r"\{[^}]+\}", str(pk), self.path)


def operations(schema: dict):
    for path, item in sorted(schema["paths"].items()):
        for method, operation in sorted(item.items()):
            if method in ("get", "post", "put", "patch", "delete"):
                yield Operation(method, path), operation


def _property_cases(schema: dict, node: dict, prefix: str = "", depth: int = 0):
    """``(path, wrong value)`` for every scalar property of a body schema and, a few levels
    down, of the objects nested in it (``transactions.0.amount`` for a list of objects)."""
    for name, prop in sorted(node.get("properties", {}).items()):
        prop = _resolve_ref(schema, prop)
        if prop.get("readOnly"):
            continue
        path = f"{prefix}{name}"
        for value in _wrong_values(prop):
            yield path, value
        if depth >= 2:
            continue
        if prop.get("properties"):
            yield from _property_cases(schema, prop, f"{path}.", depth + 1)
        items = _resolve_ref(schema, prop.get("items") or {})
        if prop.get("type") == "array" and items.get("properties"):
            yield from _property_cases(schema, items, f"{path}.0.", depth + 1)


def nest(path: str, value) -> dict:
    """The body that puts ``value`` at ``path`` (``a.0.b`` → ``{"a": [{"b": value}]}``)."""
    for part in reversed(path.split(".")):
        value = [value] if part.isdigit() else {part: value}
    return value


def type_confusions(schema: dict) -> list[tuple[Operation, str, object]]:
    """``(operation, property path, wrong value)`` for every JSON body property of every
    operation, nested objects' properties included (see ``nest``)."""
    cases = []
    for op, operation in operations(schema):
        content = (operation.get("requestBody") or {}).get("content", {})
        body = content.get("application/json")
        if not body:
            continue
        body_schema = _resolve_ref(schema, body["schema"])
        for path, value in _property_cases(schema, body_schema):
            cases.append((op, path, value))
    return cases


def query_parameters(operation: dict) -> dict[str, dict]:
    return {
        parameter["name"]: parameter
        for parameter in operation.get("parameters", [])
        if parameter.get("in") == "query"
    }
