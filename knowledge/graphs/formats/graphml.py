"""GraphML, read with expat so that every node and edge keeps its line, and written through
networkx (lists and objects as JSON strings)."""

from __future__ import annotations

import io
import json
import xml.parsers.expat

import networkx as nx

from ..records import EdgeRecord, NodeRecord
from ..validation import Problems, edge_record, node_record

GRAPHML_NODE_FIELDS = {"type", "label", "aliases", "properties"}
GRAPHML_EDGE_FIELDS = {"type", "weight", "properties"}
_GRAPHML_TYPES = {"int": int, "long": int, "float": float, "double": float, "string": str}


def _graphml_value(text: str, attr_type: str):
    if attr_type == "boolean":
        return text.strip().lower() in ("true", "1")
    try:
        return _GRAPHML_TYPES.get(attr_type, str)(text)
    except ValueError:
        return text


def parse_graphml(name: str, text: str, problems: Problems):
    """GraphML read with expat so that every node and edge keeps its line. Data keys named
    type/label/aliases/properties (edges: type/weight/properties) fill the record; any other
    data key becomes a property, so GraphML written by other tools imports too."""
    keys: dict[str, tuple[str, str, str]] = {}  # id -> (for, attr.name, attr.type)
    nodes: list[NodeRecord] = []
    edges: list[EdgeRecord] = []
    state = {"item": None, "data_key": None, "text": []}
    parser = xml.parsers.expat.ParserCreate()

    def start(tag, attrs):
        tag = tag.rsplit("}", 1)[-1]
        line = parser.CurrentLineNumber
        if tag == "key":
            keys[attrs.get("id", "")] = (
                attrs.get("for", "all"),
                attrs.get("attr.name", attrs.get("id", "")),
                attrs.get("attr.type", "string"),
            )
        elif tag == "node":
            state["item"] = ("node", line, {"key": attrs.get("id")}, {})
        elif tag == "edge":
            raw = {"source": attrs.get("source"), "target": attrs.get("target")}
            state["item"] = ("edge", line, raw, {})
        elif tag == "data" and state["item"] is not None:
            state["data_key"] = attrs.get("key", "")
            state["text"] = []

    def chars(data):
        if state["data_key"] is not None:
            state["text"].append(data)

    def end(tag):
        tag = tag.rsplit("}", 1)[-1]
        item = state["item"]
        if tag == "data" and item is not None and state["data_key"] is not None:
            kind, line, raw, extra = item
            _for, attr_name, attr_type = keys.get(state["data_key"], ("all", state["data_key"], ""))
            value = "".join(state["text"])
            fields = GRAPHML_NODE_FIELDS if kind == "node" else GRAPHML_EDGE_FIELDS
            if attr_name in fields:
                raw[attr_name] = value
            else:
                extra[attr_name] = _graphml_value(value, attr_type)
            state["data_key"] = None
        elif tag in ("node", "edge") and item is not None:
            kind, line, raw, extra = item
            if extra:
                properties = raw.get("properties")
                merged = problems_free_json(properties)
                if merged is None:
                    problems.add(name, line, "properties", "is not a JSON object")
                else:
                    raw["properties"] = {**extra, **merged}
            build = node_record if kind == "node" else edge_record
            record = build(raw, file=name, line=line, problems=problems, textual=True)
            if record is not None:
                (nodes if kind == "node" else edges).append(record)
            state["item"] = None

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = chars
    try:
        parser.Parse(text.encode("utf-8"), True)
    except xml.parsers.expat.ExpatError as exc:
        problems.add(
            name,
            exc.lineno,
            "xml",
            f"invalid GraphML: {xml.parsers.expat.errors.messages[exc.code]}",
        )
    return nodes, edges


def problems_free_json(value):
    """A properties cell as a dict (already a dict, empty, or JSON text), or None if invalid."""
    if value in (None, ""):
        return {}
    if isinstance(value, dict):
        return value
    try:
        parsed = json.loads(value)
    except (TypeError, json.JSONDecodeError):
        return None
    return parsed if isinstance(parsed, dict) else None


def write_graphml(graph: nx.MultiDiGraph) -> str:
    """GraphML through networkx's writer; lists and objects travel as JSON strings."""
    flat = nx.MultiDiGraph()
    for key, attrs in graph.nodes(data=True):
        flat.add_node(
            key,
            type=attrs.get("type", ""),
            label=attrs.get("label", ""),
            aliases=json.dumps(attrs.get("aliases") or [], ensure_ascii=False),
            properties=json.dumps(attrs.get("properties") or {}, ensure_ascii=False),
        )
    for source, target, type_, attrs in graph.edges(keys=True, data=True):
        flat.add_edge(
            source,
            target,
            key=type_,
            type=type_,
            weight=float(attrs.get("weight", 1.0)),
            properties=json.dumps(attrs.get("properties") or {}, ensure_ascii=False),
        )
    out = io.BytesIO()
    nx.write_graphml(flat, out, encoding="utf-8", prettyprint=True)
    return out.getvalue().decode("utf-8")
