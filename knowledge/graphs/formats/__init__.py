"""Import and export formats: node-link JSON, CSV (nodes.csv + edges.csv) and GraphML.

Parsers turn file texts into records and report every bad field with its file and line; they
never touch the database. Writers take the networkx MultiDiGraph that selectors serve (node
attributes ``type``, ``label``, ``aliases``, ``properties``; edges keyed by their type with
``weight`` and ``properties``) and produce texts the parsers read back unchanged.
"""

from __future__ import annotations

from collections.abc import Mapping

from ..validation import Problems
from .csv_files import EDGE_COLUMNS, EDGES_CSV, NODE_COLUMNS, NODES_CSV, parse_csv, write_csv
from .graphml import parse_graphml, write_graphml
from .node_link import parse_node_link, write_node_link

__all__ = [
    "CSV",
    "EDGES_CSV",
    "EDGE_COLUMNS",
    "FORMATS",
    "GRAPHML",
    "NODES_CSV",
    "NODE_COLUMNS",
    "NODE_LINK",
    "parse",
    "parse_csv",
    "parse_graphml",
    "parse_node_link",
    "write_csv",
    "write_graphml",
    "write_node_link",
]

NODE_LINK = "node-link"
CSV = "csv"
GRAPHML = "graphml"
FORMATS = (NODE_LINK, CSV, GRAPHML)


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
