"""Validation of imported records, with problems that name the file, the line and the field.

Every problem of a batch is collected (up to ``MAX_PROBLEMS``) before anything is written, and
one problem means nothing is written: an import is all or nothing.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from .records import EdgeRecord, NodeRecord

MAX_PROBLEMS = 100
TYPE_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_.\-]{0,63}$")
MAX_KEY = 255
MAX_LABEL = 500


@dataclass(frozen=True, slots=True)
class Problem:
    file: str
    line: int
    field: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.field}: {self.message}"

    def as_dict(self) -> dict:
        return {"file": self.file, "line": self.line, "field": self.field, "message": self.message}


class GraphValidationError(ValueError):
    """The batch is invalid; ``problems`` says where and why. Nothing was written."""

    def __init__(self, problems: list[Problem], truncated: bool = False):
        self.problems = problems
        self.truncated = truncated
        shown = "; ".join(str(p) for p in problems[:5])
        more = len(problems) - 5
        suffix = f" (and {more} more)" if more > 0 else ""
        super().__init__(f"{len(problems)} problem(s): {shown}{suffix}")

    def as_errors(self) -> dict[str, list[str]]:
        """The problems in the platform's error format, keyed ``file:line:field``."""
        errors: dict[str, list[str]] = {}
        for p in self.problems:
            errors.setdefault(f"{p.file}:{p.line}:{p.field}", []).append(p.message)
        return errors


class Problems:
    """Collects problems; stops growing at MAX_PROBLEMS (the first ones are the useful ones)."""

    def __init__(self):
        self.items: list[Problem] = []
        self.truncated = False

    def add(self, file: str, line: int, field: str, message: str) -> None:
        if len(self.items) >= MAX_PROBLEMS:
            self.truncated = True
            return
        self.items.append(Problem(file, line, field, message))

    def __bool__(self) -> bool:
        return bool(self.items)

    def raise_if_any(self) -> None:
        if self.items:
            raise GraphValidationError(self.items, self.truncated)


# ---------------------------------------------------------------------------- coercion
# Parsers hand over raw values: native JSON types, or strings from CSV cells and GraphML data
# (``textual``). These turn them into records, reporting each bad field.


def _text(value, *, textual: bool, problems, file, line, field, required, limit) -> str | None:
    if value is None or (textual and value == "" and required):
        if required:
            problems.add(file, line, field, "is required")
            return None
        return ""
    if not isinstance(value, str):
        problems.add(file, line, field, f"must be a string, not {type(value).__name__}")
        return None
    if required and not value.strip():
        problems.add(file, line, field, "must not be blank")
        return None
    if len(value) > limit:
        problems.add(file, line, field, f"is longer than {limit} characters")
        return None
    return value


def _type_name(value, *, problems, file, line, field) -> str | None:
    if value is None or value == "":
        problems.add(file, line, field, "is required")
        return None
    if not isinstance(value, str) or not TYPE_RE.match(value):
        problems.add(
            file, line, field, f"{value!r} is not a type name (letters, digits, _ . -; max 64)"
        )
        return None
    return value


def _properties(value, *, textual, problems, file, line, field="properties") -> dict | None:
    if value is None or value == "":
        return {}
    if textual and isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError as exc:
            problems.add(file, line, field, f"is not valid JSON ({exc.msg})")
            return None
    if not isinstance(value, dict):
        problems.add(file, line, field, f"must be a JSON object, not {type(value).__name__}")
        return None
    return value


def _aliases(value, *, textual, problems, file, line) -> list[str] | None:
    if value is None or value == "":
        return []
    if textual and isinstance(value, str):
        stripped = value.strip()
        if stripped.startswith("["):
            try:
                value = json.loads(stripped)
            except json.JSONDecodeError as exc:
                problems.add(file, line, "aliases", f"is not valid JSON ({exc.msg})")
                return None
        else:  # the CSV convention: aliases separated by "|"
            return [alias.strip() for alias in value.split("|") if alias.strip()]
    if not isinstance(value, list) or not all(isinstance(a, str) for a in value):
        problems.add(file, line, "aliases", "must be a list of strings")
        return None
    if any(len(a) > MAX_LABEL for a in value):
        problems.add(file, line, "aliases", f"an alias is longer than {MAX_LABEL} characters")
        return None
    return value


def _weight(value, *, textual, problems, file, line) -> float | None:
    if value is None or value == "":
        return 1.0
    if isinstance(value, bool):
        problems.add(file, line, "weight", "must be a number, not a boolean")
        return None
    if textual and isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            problems.add(file, line, "weight", f"{value!r} is not a number")
            return None
    if not isinstance(value, int | float) or not math.isfinite(value):
        problems.add(file, line, "weight", f"{value!r} is not a finite number")
        return None
    return float(value)


def node_record(
    raw: dict, *, file: str, line: int, problems: Problems, textual: bool = False
) -> NodeRecord | None:
    """A NodeRecord from a parsed node (``key``, ``type``, ``label``, ``aliases``,
    ``properties``), or None with the problems recorded."""
    before = len(problems.items)
    key = _text(
        raw.get("key"),
        textual=textual,
        problems=problems,
        file=file,
        line=line,
        field="key",
        required=True,
        limit=MAX_KEY,
    )
    type_ = _type_name(raw.get("type"), problems=problems, file=file, line=line, field="type")
    label = _text(
        raw.get("label"),
        textual=textual,
        problems=problems,
        file=file,
        line=line,
        field="label",
        required=False,
        limit=MAX_LABEL,
    )
    aliases = _aliases(raw.get("aliases"), textual=textual, problems=problems, file=file, line=line)
    properties = _properties(
        raw.get("properties"), textual=textual, problems=problems, file=file, line=line
    )
    if len(problems.items) != before or problems.truncated:
        return None
    return NodeRecord(key, type_, label or key, aliases, properties, file, line)


def edge_record(
    raw: dict, *, file: str, line: int, problems: Problems, textual: bool = False
) -> EdgeRecord | None:
    """An EdgeRecord from a parsed edge (``source``, ``target``, ``type``, ``weight``,
    ``properties``), or None with the problems recorded."""
    before = len(problems.items)
    ends = []
    for field in ("source", "target"):
        ends.append(
            _text(
                raw.get(field),
                textual=textual,
                problems=problems,
                file=file,
                line=line,
                field=field,
                required=True,
                limit=MAX_KEY,
            )
        )
    type_ = _type_name(raw.get("type"), problems=problems, file=file, line=line, field="type")
    weight = _weight(raw.get("weight"), textual=textual, problems=problems, file=file, line=line)
    properties = _properties(
        raw.get("properties"), textual=textual, problems=problems, file=file, line=line
    )
    if len(problems.items) != before or problems.truncated:
        return None
    return EdgeRecord(ends[0], ends[1], type_, weight, properties, file, line)


# ---------------------------------------------------------------------------- batch checks


def check_batch(
    nodes: Iterable[NodeRecord],
    edges: Iterable[EdgeRecord],
    *,
    problems: Problems,
    schema: dict | None,
    existing_types: Callable[[set[str]], dict[str, str]],
) -> None:
    """Duplicates within the batch, edges to unknown nodes, and the graph's schema.

    ``existing_types(keys)`` answers the types of already stored nodes among ``keys`` (edges
    may point at nodes imported earlier); it is asked once, for the keys the batch lacks.
    """
    node_types: dict[str, str] = {}
    first_line: dict[str, tuple[str, int]] = {}
    allowed_nodes = set((schema or {}).get("node_types") or ())
    for node in nodes:
        if node.key in node_types:
            file, line = first_line[node.key]
            problems.add(
                node.file, node.line, "key", f"duplicate key {node.key!r} (first at {file}:{line})"
            )
            continue
        node_types[node.key] = node.type
        first_line[node.key] = (node.file, node.line)
        if allowed_nodes and node.type not in allowed_nodes:
            problems.add(
                node.file,
                node.line,
                "type",
                f"node type {node.type!r} is not in the graph's schema "
                f"({', '.join(sorted(allowed_nodes))})",
            )

    edges = list(edges)
    wanted = {e.source for e in edges} | {e.target for e in edges}
    missing = wanted - node_types.keys()
    if missing:
        node_types.update(existing_types(missing))
        missing -= node_types.keys()
    edge_rules = (schema or {}).get("edge_types") or {}
    distinct = len({(e.source, e.type, e.target) for e in edges}) == len(edges)
    if not missing and distinct and not edge_rules:
        return  # the common case, decided by set operations alone
    seen: dict[tuple[str, str, str], EdgeRecord] = {}
    for edge in edges:
        if edge.source in missing:
            problems.add(edge.file, edge.line, "source", f"unknown node {edge.source!r}")
        if edge.target in missing:
            problems.add(edge.file, edge.line, "target", f"unknown node {edge.target!r}")
        if not distinct:
            identity = (edge.source, edge.type, edge.target)
            first = seen.setdefault(identity, edge)
            if first is not edge:
                problems.add(
                    edge.file,
                    edge.line,
                    "type",
                    f"duplicate edge {edge.source!r} -[{edge.type}]-> {edge.target!r} "
                    f"(first at {first.file}:{first.line})",
                )
        if edge_rules:
            _check_edge_schema(edge, edge_rules, node_types, problems)


def _check_edge_schema(edge, rules: dict, node_types: dict, problems: Problems) -> None:
    if edge.type not in rules:
        problems.add(
            edge.file,
            edge.line,
            "type",
            f"edge type {edge.type!r} is not in the graph's schema ({', '.join(sorted(rules))})",
        )
        return
    sources, targets = (rules[edge.type] + [[], []])[:2]
    for field, allowed in (("source", sources), ("target", targets)):
        actual = node_types.get(getattr(edge, field))
        if allowed and actual is not None and actual not in allowed:
            problems.add(
                edge.file,
                edge.line,
                field,
                f"a {edge.type!r} edge's {field} must be {' or '.join(allowed)}, not {actual!r}",
            )
