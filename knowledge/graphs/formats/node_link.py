"""networkx's node-link JSON, read element by element so that every node and edge keeps its
line (a validation error names it), and written one element per line for the same reason."""

from __future__ import annotations

import json
from collections.abc import Mapping

import networkx as nx

from ..records import EdgeRecord, NodeRecord
from ..validation import Problems, edge_record, node_record


def _line_at(text: str, pos: int, cache: list) -> int:
    """1-based line of ``pos``; ``cache`` = [last_pos, last_line] makes a forward scan O(n)."""
    last_pos, last_line = cache
    if pos < last_pos:
        last_pos, last_line = 0, 1
    line = last_line + text.count("\n", last_pos, pos)
    cache[0], cache[1] = pos, line
    return line


def _skip_ws(text: str, pos: int) -> int:
    while pos < len(text) and text[pos] in " \t\r\n":
        pos += 1
    return pos


EMPTY_ARRAY = object()  # yielded once for a top-level key whose array is empty


def _top_level_items(text: str):
    """Yield (key, value, start position, is_array) for a top-level JSON object, with array
    values yielded element by element as (key, element, position, True)."""
    decoder = json.JSONDecoder()
    pos = _skip_ws(text, 0)
    if pos >= len(text) or text[pos] != "{":
        raise json.JSONDecodeError("expected a JSON object", text, pos)
    pos = _skip_ws(text, pos + 1)
    if text[pos : pos + 1] == "}":
        return
    while True:
        key, pos = decoder.raw_decode(text, pos)
        if not isinstance(key, str):
            raise json.JSONDecodeError("expected a property name", text, pos)
        pos = _skip_ws(text, pos)
        if text[pos : pos + 1] != ":":
            raise json.JSONDecodeError("expected ':'", text, pos)
        pos = _skip_ws(text, pos + 1)
        if text[pos : pos + 1] == "[":
            pos = _skip_ws(text, pos + 1)
            if text[pos : pos + 1] == "]":
                yield key, EMPTY_ARRAY, pos, True
                pos += 1
            else:
                while True:
                    start = pos
                    element, pos = decoder.raw_decode(text, pos)
                    yield key, element, start, True
                    pos = _skip_ws(text, pos)
                    if text[pos : pos + 1] == ",":
                        pos = _skip_ws(text, pos + 1)
                        continue
                    if text[pos : pos + 1] != "]":
                        raise json.JSONDecodeError("expected ',' or ']'", text, pos)
                    pos += 1
                    break
        else:
            start = pos
            value, pos = decoder.raw_decode(text, pos)
            yield key, value, start, False
        pos = _skip_ws(text, pos)
        if text[pos : pos + 1] == ",":
            pos = _skip_ws(text, pos + 1)
            continue
        if text[pos : pos + 1] != "}":
            raise json.JSONDecodeError("expected ',' or '}'", text, pos)
        return


NODE_LINK_NODE_FIELDS = {"id", "key", "type", "label", "aliases", "properties"}
NODE_LINK_EDGE_FIELDS = {"source", "target", "key", "type", "weight", "properties", "id"}


def _with_extras_as_properties(item: dict, known: set) -> dict:
    """The known fields of a node-link item, with any other attribute (node-link files from
    other tools carry their own) moved into ``properties`` (which wins on a clash)."""
    raw = {k: v for k, v in item.items() if k in known and k not in ("id", "key")}
    extras = {k: v for k, v in item.items() if k not in known}
    if extras:
        properties = raw.get("properties")
        if properties is None:
            raw["properties"] = extras
        elif isinstance(properties, dict):
            raw["properties"] = {**extras, **properties}
    if "key" in item and "source" not in item:
        raw["key"] = item["key"]
    return raw


def parse_node_link(name: str, text: str, problems: Problems):
    """networkx's node-link format (``nodes`` and ``edges`` or ``links``). A node's key is its
    ``id`` (or ``key``); an edge's type is its ``type`` (or its multigraph ``key``)."""
    nodes: list[NodeRecord] = []
    edges: list[EdgeRecord] = []
    lines = [0, 1]
    seen_nodes = False
    try:
        for key, value, pos, in_array in _top_level_items(text):
            line = _line_at(text, pos, lines)
            if key == "nodes" and in_array:
                seen_nodes = True
            if value is EMPTY_ARRAY:
                continue
            if key == "nodes" and in_array:
                if not isinstance(value, dict):
                    problems.add(name, line, "nodes", "each node must be a JSON object")
                    continue
                raw = _with_extras_as_properties(value, NODE_LINK_NODE_FIELDS)
                raw.setdefault("key", value.get("id"))
                record = node_record(raw, file=name, line=line, problems=problems)
                if record is not None:
                    nodes.append(record)
            elif key in ("edges", "links") and in_array:
                if not isinstance(value, dict):
                    problems.add(name, line, key, "each edge must be a JSON object")
                    continue
                raw = _with_extras_as_properties(value, NODE_LINK_EDGE_FIELDS)
                if "type" not in raw:  # networkx's multigraph key is the type here
                    raw["type"] = value.get("key")
                record = edge_record(raw, file=name, line=line, problems=problems)
                if record is not None:
                    edges.append(record)
            elif key in ("nodes", "edges", "links"):
                problems.add(name, line, key, "must be a JSON array")
    except json.JSONDecodeError as exc:
        problems.add(name, exc.lineno, "json", f"invalid JSON: {exc.msg} (column {exc.colno})")
    except (ValueError, IndexError) as exc:  # raw_decode past the end of a truncated text
        problems.add(name, _line_at(text, len(text), [0, 1]), "json", f"invalid JSON: {exc}")
    if not seen_nodes and not edges and not problems:
        problems.add(name, 1, "nodes", "no 'nodes' array found")
    return nodes, edges


def write_node_link(graph: nx.MultiDiGraph, meta: Mapping | None = None) -> str:
    """node-link JSON (``nx.node_link_graph(data, edges="edges")`` reads it too)."""
    data = {
        "directed": True,
        "multigraph": True,
        "graph": dict(meta or {}),
        "nodes": [
            {
                "id": key,
                "type": attrs.get("type", ""),
                "label": attrs.get("label", ""),
                "aliases": attrs.get("aliases", []),
                "properties": attrs.get("properties", {}),
            }
            for key, attrs in graph.nodes(data=True)
        ],
        "edges": [
            {
                "source": source,
                "target": target,
                "key": type_,
                "type": type_,
                "weight": attrs.get("weight", 1.0),
                "properties": attrs.get("properties", {}),
            }
            for source, target, type_, attrs in graph.edges(keys=True, data=True)
        ],
    }
    # One element per line keeps validation errors' line numbers meaningful after a round trip.
    out = ['{"directed": true, "multigraph": true, "graph": ']
    out.append(json.dumps(data["graph"], ensure_ascii=False))
    for section in ("nodes", "edges"):
        out.append(f', "{section}": [\n')
        out.append(",\n".join(json.dumps(item, ensure_ascii=False) for item in data[section]))
        out.append("\n]")
    out.append("}\n")
    return "".join(out)
