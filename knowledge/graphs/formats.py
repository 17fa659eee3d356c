"""Import and export formats: node-link JSON, CSV (nodes.csv + edges.csv) and GraphML.

Parsers turn file texts into records and report every bad field with its file and line; they
never touch the database. Writers take the networkx MultiDiGraph that selectors serve (node
attributes ``type``, ``label``, ``aliases``, ``properties``; edges keyed by their type with
``weight`` and ``properties``) and produce texts the parsers read back unchanged.
"""

from __future__ import annotations

import csv
import io
import json
import math
import xml.parsers.expat
from collections.abc import Mapping

import networkx as nx

from apps.core.csv_safe import csv_writer

from .records import EdgeRecord, NodeRecord
from .validation import MAX_KEY, MAX_LABEL, TYPE_RE, Problems, edge_record, node_record

NODE_LINK = "node-link"
CSV = "csv"
GRAPHML = "graphml"
FORMATS = (NODE_LINK, CSV, GRAPHML)
NODE_COLUMNS = ("key", "type", "label", "aliases", "properties")
EDGE_COLUMNS = ("source", "target", "type", "weight", "properties")
NODES_CSV, EDGES_CSV = "nodes.csv", "edges.csv"


def parse(fmt: str, files: Mapping[str, str], problems: Problems):
    """(nodes, edges) records from ``files`` (name -> text) in format ``fmt``."""
    if fmt == NODE_LINK:
        return _parse_files(files, problems, parse_node_link)
    if fmt == GRAPHML:
        return _parse_files(files, problems, parse_graphml)
    if fmt == CSV:
        return parse_csv(files, problems)
    problems.add("", 0, "format", f"unknown format {fmt!r}; one of {', '.join(FORMATS)}")
    return [], []


def _parse_files(files, problems, parse_one):
    if not files:
        problems.add("", 0, "files", "no file was given")
    nodes, edges = [], []
    for name, text in files.items():
        more_nodes, more_edges = parse_one(name, text, problems)
        nodes.extend(more_nodes)
        edges.extend(more_edges)
    return nodes, edges


# ---------------------------------------------------------------------------- node-link JSON


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


# ---------------------------------------------------------------------------- CSV


def parse_csv(files: Mapping[str, str], problems: Problems):
    """``nodes.csv`` (key,type,label,aliases,properties) and ``edges.csv``
    (source,target,type,weight,properties); aliases are ``|``-separated, properties a JSON
    object. Either file may be absent (edges may join nodes imported earlier)."""
    unknown = sorted(set(files) - {NODES_CSV, EDGES_CSV})
    for name in unknown:
        problems.add(name, 0, "file", f"unexpected file; CSV imports read {NODES_CSV}, {EDGES_CSV}")
    if not (set(files) & {NODES_CSV, EDGES_CSV}):
        problems.add("", 0, "files", f"expected {NODES_CSV} and/or {EDGES_CSV}")
    nodes = _csv_records(files.get(NODES_CSV), NODES_CSV, NODE_COLUMNS, ("key", "type"), problems)
    edges = _csv_records(
        files.get(EDGES_CSV), EDGES_CSV, EDGE_COLUMNS, ("source", "target", "type"), problems
    )
    return nodes, edges


class _TypeNames(set):
    """Type names already found valid (a file repeats a handful of types many times)."""

    def ok(self, value: str) -> bool:
        if value in self:
            return True
        if TYPE_RE.match(value):
            self.add(value)
            return True
        return False


def _plain_key(value: str) -> bool:
    return bool(value) and len(value) <= MAX_KEY and not value.isspace()


def _fast_edges(reader, width, at, name, types, slow, problems):
    """The common, valid case of edges.csv rows, in one loop without a call per field (this
    loop runs 250,000 times in the benchmark); a row that is anything else goes to
    ``slow(line, row)``, the general path that names every problem."""
    i_source, i_target, i_type = at["source"], at["target"], at["type"]
    i_weight, i_props = at.get("weight"), at.get("properties")
    make = EdgeRecord._make  # tuple.__new__: no Python-level __init__ per row
    empty: dict = {}
    records = []
    append = records.append
    for row in reader:
        line = reader.line_num
        if len(row) != width:
            if row:
                problems.add(name, line, "row", f"has {len(row)} cells, the header {width}")
            continue
        source, target, type_ = row[i_source], row[i_target], row[i_type]
        if (
            not source
            or not target
            or len(source) > MAX_KEY
            or len(target) > MAX_KEY
            or source.isspace()
            or target.isspace()
            or (type_ not in types and not types.ok(type_))
        ):
            slow(line, row)
            continue
        weight = 1.0
        if i_weight is not None and row[i_weight]:
            try:
                weight = float(row[i_weight])
            except ValueError:
                slow(line, row)
                continue
            if not math.isfinite(weight):
                slow(line, row)
                continue
        if i_props is not None and row[i_props] and row[i_props] != "{}":
            slow(line, row)
            continue
        # One shared empty dict: records are never mutated, and 250,000 dicts cost time.
        append(make((source, target, type_, weight, empty, name, line)))
    return records


def _fast_node(row, at, name, line, types):
    key, type_ = row[at["key"]], row[at["type"]]
    if not (_plain_key(key) and types.ok(type_)):
        return None
    label = row[at["label"]] if "label" in at else ""
    aliases = row[at["aliases"]] if "aliases" in at else ""
    if len(label) > MAX_LABEL or aliases.lstrip().startswith("["):
        return None
    alias_list = [a.strip() for a in aliases.split("|") if a.strip()] if aliases else []
    if any(len(a) > MAX_LABEL for a in alias_list):
        return None
    props_text = row[at["properties"]] if "properties" in at else ""
    properties = {}
    if props_text and props_text != "{}":
        try:
            properties = json.loads(props_text)
        except json.JSONDecodeError:
            return None
        if not isinstance(properties, dict):
            return None
    return NodeRecord(key, type_, label or key, alias_list, properties, name, line)


def _csv_records(text, name, columns, required, problems):
    if text is None:
        return []
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    header = next(reader, None)
    if header is None:
        problems.add(name, 1, "header", "the file is empty")
        return []
    header = [column.strip() for column in header]
    before = len(problems.items)
    for column in header:
        if column not in columns:
            problems.add(name, 1, column, f"unknown column; known: {', '.join(columns)}")
    for column in required:
        if column not in header:
            problems.add(name, 1, column, "required column is missing")
    if len(problems.items) != before:
        return []
    at = {column: index for index, column in enumerate(header)}
    build = node_record if name == NODES_CSV else edge_record
    types = _TypeNames()
    width = len(header)
    general: list = []  # (line, record) from the general path, merged back in file order

    def slow(line, row):
        record = build(
            dict(zip(header, row, strict=True)),
            file=name,
            line=line,
            problems=problems,
            textual=True,
        )
        if record is not None:
            general.append(record)

    def rows():
        try:
            for row in reader:
                if not row:
                    continue
                if len(row) != width:
                    problems.add(
                        name, reader.line_num, "row", f"has {len(row)} cells, the header {width}"
                    )
                    continue
                yield reader.line_num, row
        except csv.Error as exc:
            problems.add(name, reader.line_num, "csv", str(exc))

    if name == EDGES_CSV:
        try:
            records = _fast_edges(reader, width, at, name, types, slow, problems)
        except csv.Error as exc:
            problems.add(name, reader.line_num, "csv", str(exc))
            records = []
    else:
        records = []
        for line, row in rows():
            record = _fast_node(row, at, name, line, types)
            if record is None:
                slow(line, row)
            else:
                records.append(record)
    if general:
        records = sorted(records + general, key=lambda record: record.line)
    return records


def write_csv(graph: nx.MultiDiGraph) -> dict[str, str]:
    nodes_out, edges_out = io.StringIO(), io.StringIO()
    writer = csv_writer(nodes_out, lineterminator="\n")
    writer.writerow(NODE_COLUMNS)
    for key, attrs in graph.nodes(data=True):
        aliases = attrs.get("aliases") or []
        # "|" inside an alias would split it on the way back: use the JSON list form then.
        alias_cell = (
            json.dumps(aliases, ensure_ascii=False)
            if any("|" in a for a in aliases) or (aliases and aliases[0].lstrip().startswith("["))
            else "|".join(aliases)
        )
        writer.writerow(
            [
                key,
                attrs.get("type", ""),
                attrs.get("label", ""),
                alias_cell,
                json.dumps(attrs.get("properties") or {}, ensure_ascii=False),
            ]
        )
    writer = csv_writer(edges_out, lineterminator="\n")
    writer.writerow(EDGE_COLUMNS)
    for source, target, type_, attrs in graph.edges(keys=True, data=True):
        writer.writerow(
            [
                source,
                target,
                type_,
                repr(float(attrs.get("weight", 1.0))),
                json.dumps(attrs.get("properties") or {}, ensure_ascii=False),
            ]
        )
    return {NODES_CSV: nodes_out.getvalue(), EDGES_CSV: edges_out.getvalue()}


# ---------------------------------------------------------------------------- GraphML

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
