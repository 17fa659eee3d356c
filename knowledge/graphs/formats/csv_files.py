"""CSV: ``nodes.csv`` and ``edges.csv``, with a fast path for the common, valid rows (imports of
hundreds of thousands of edges) and the general path, which names every problem, for the rest.
Cells a spreadsheet would run as formulas are neutralised on the way out."""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Mapping

import networkx as nx

from apps.core.csv_safe import csv_writer

from ..records import EdgeRecord, NodeRecord
from ..validation import MAX_KEY, MAX_LABEL, TYPE_RE, Problems, edge_record, node_record

NODE_COLUMNS = ("key", "type", "label", "aliases", "properties")
EDGE_COLUMNS = ("source", "target", "type", "weight", "properties")
NODES_CSV, EDGES_CSV = "nodes.csv", "edges.csv"


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
