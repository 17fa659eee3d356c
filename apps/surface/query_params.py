"""Unknown query parameters answer 400: a typo (``?serach=``) is not silently ignored.

What an operation accepts is what the OpenAPI schema documents for it: its filters, search and
ordering, pagination, and the parameters its ``@extend_schema`` declares. The table is built
once per process from the same generator that serves ``/api/schema/`` (drf-spectacular), and
each schema path is resolved back to its view, so the schema and the check cannot disagree.
``format`` (DRF's format override) is always accepted. A request without query parameters never
looks at the table (and never pays for building it).
"""

from __future__ import annotations

import re
import threading

from django.urls import Resolver404, resolve
from drf_spectacular.generators import SchemaGenerator
from rest_framework import serializers

ALWAYS_ALLOWED = frozenset({"format"})
_SAMPLE = {"uuid": "00000000-0000-0000-0000-000000000001", "integer": "1"}
_table: dict[tuple, frozenset[str]] | None = None
_lock = threading.Lock()
_rebuilt_for: set = set()


def _sample_path(path: str, operation: dict) -> str:
    """The schema path with each ``{parameter}`` replaced by a value its converter accepts."""
    kinds = {
        parameter["name"]: parameter.get("schema", {})
        for parameter in operation.get("parameters", [])
        if parameter.get("in") == "path"
    }

    def sample(match):
        spec = kinds.get(match.group(1), {})
        return _SAMPLE.get(spec.get("format")) or _SAMPLE.get(spec.get("type")) or "1"

    return re.sub(r"\{([^}]+)\}", sample, path)


def _build() -> dict[tuple, frozenset[str]]:
    schema = SchemaGenerator().get_schema(request=None, public=True)
    table: dict[tuple, set[str]] = {}
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            try:
                match = resolve(_sample_path(path, operation))
            except Resolver404:
                continue
            view_class = getattr(match.func, "cls", None)
            action = (getattr(match.func, "actions", None) or {}).get(method)
            names = {p["name"] for p in operation.get("parameters", []) if p.get("in") == "query"}
            table.setdefault((view_class, method, action), set()).update(names)
    return {key: frozenset(names) for key, names in table.items()}


def documented_parameters(view_class, method: str, action: str | None) -> frozenset[str] | None:
    """The query parameters the schema documents for this operation (None: not documented)."""
    global _table
    if _table is None:
        with _lock:
            if _table is None:
                _table = _build()
    names = _table.get((view_class, method, action))
    if names is None and view_class not in _rebuilt_for:
        # A view routed after the table was built (a vertical installed at run time, as the
        # throw-away vertical test does): build the table again, once per such view.
        with _lock:
            _rebuilt_for.add(view_class)
            _table = _build()
        names = _table.get((view_class, method, action))
    return None if names is None else names | ALWAYS_ALLOWED


class DeclaredQueryParametersMixin:
    """Refuse a query parameter the operation does not document (400 naming it)."""

    # Called by ``ThrottleFirstMixin.initial`` (apps.surface.viewsets) once the request is
    # authenticated, throttled and permitted, so the one ``initial`` keeps its order.
    def check_query_parameters(self, request):
        given = set(request.query_params) - ALWAYS_ALLOWED
        if not given:
            return
        method = "get" if request.method == "HEAD" else request.method.lower()
        known = documented_parameters(type(self), method, getattr(self, "action", None))
        unknown = sorted(given - (known or ALWAYS_ALLOWED))
        if unknown:
            takes = ", ".join(sorted(known or ALWAYS_ALLOWED))
            raise serializers.ValidationError(
                {
                    name: [f"Unknown query parameter; this operation takes: {takes}."]
                    for name in unknown
                }
            )
