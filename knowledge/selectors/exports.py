"""A graph written out as a file: node-link JSON, CSV (a zip of nodes.csv and edges.csv) or
GraphML, named after the graph and the version it was read at."""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from io import BytesIO

from knowledge.graphs import formats
from knowledge.models import Graph

from .queries import graph_networkx, graph_version


@dataclass(frozen=True)
class ExportFile:
    content: bytes
    content_type: str
    filename: str


def graph_export(graph: Graph, fmt: str) -> ExportFile:
    """The graph in ``fmt`` (one of ``formats.FORMATS``), current to its version."""
    g = graph_networkx(graph)
    name = f"{graph.name}-v{graph_version(graph)}"
    if fmt == formats.NODE_LINK:
        meta = {"name": graph.name, "domain": graph.domain, "version": graph.version}
        return ExportFile(
            formats.write_node_link(g, meta).encode(), "application/json", f"{name}.json"
        )
    if fmt == formats.GRAPHML:
        return ExportFile(
            formats.write_graphml(g).encode(), "application/graphml+xml", f"{name}.graphml"
        )
    buffer = BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for file_name, text in formats.write_csv(g).items():
            archive.writestr(file_name, text)
    return ExportFile(buffer.getvalue(), "application/zip", f"{name}.zip")
