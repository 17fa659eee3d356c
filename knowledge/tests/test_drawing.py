"""The neighbourhood picture on the real medical seed graph: every label whole (wrapped, not
cut), no two labels overlapping, every label inside the plot, and a legend that names the node
and edge types. No database: the seed's CSV files are read straight into networkx."""

from __future__ import annotations

import csv
import itertools
from pathlib import Path

import networkx as nx
import pytest

from knowledge.graphs import drawing
from knowledge.graphs.algorithms import khop

SEED = Path(__file__).resolve().parents[1] / "seeds" / "medical"


@pytest.fixture(scope="module")
def medical_graph() -> nx.MultiDiGraph:
    graph = nx.MultiDiGraph()
    with open(SEED / "nodes.csv", encoding="utf-8") as nodes:
        for row in csv.DictReader(nodes):
            graph.add_node(row["key"], type=row["type"], label=row["label"])
    with open(SEED / "edges.csv", encoding="utf-8") as edges:
        for row in csv.DictReader(edges):
            graph.add_edge(row["source"], row["target"], key=row["type"])
    return graph


def label_boxes(figure):
    figure.canvas.draw()
    renderer = figure.canvas.get_renderer()
    texts = [t for t in figure.axes[0].texts if t.get_gid() == drawing.LABEL_GID]
    return texts, [t.get_window_extent(renderer) for t in texts]


def busiest(graph, count):
    return [node for node, _ in sorted(graph.degree, key=lambda item: (-item[1], item[0]))][:count]


def test_labels_of_the_busiest_neighbourhoods_neither_overlap_nor_leave_the_plot(medical_graph):
    for centre in busiest(medical_graph, 3):
        hood = khop(medical_graph, centre, 1, direction="both")
        figure = drawing.neighbourhood_figure(hood, title=centre)
        texts, boxes = label_boxes(figure)
        assert len(texts) == len(hood.nodes), centre  # one label per node
        overlapping = [
            (a.get_text(), b.get_text())
            for (a, box_a), (b, box_b) in itertools.combinations(zip(texts, boxes, strict=True), 2)
            if box_a.overlaps(box_b)
        ]
        assert not overlapping, (centre, overlapping)
        plot = figure.axes[0].bbox
        outside = [
            t.get_text()
            for t, box in zip(texts, boxes, strict=True)
            if box.x0 < plot.x0 or box.y0 < plot.y0 or box.x1 > plot.x1 or box.y1 > plot.y1
        ]
        assert not outside, (centre, outside)


def test_long_labels_are_wrapped_whole_and_cut_only_past_three_lines(medical_graph):
    label = "Essential (primary) hypertension"
    assert drawing.wrapped_label(label).replace("\n", " ") == label
    assert drawing.wrapped_label("Hydrochlorothiazide tablets") == "Hydrochlorothiazide\ntablets"
    very_long = " ".join(["word"] * 40)
    wrapped = drawing.wrapped_label(very_long)
    assert wrapped.count("\n") == drawing.LABEL_MAX_LINES - 1 and wrapped.endswith("…")
    # In the picture: the hypertension node's label is there in full.
    hood = khop(medical_graph, "condition:I10", 1, direction="both")
    texts, _ = label_boxes(drawing.neighbourhood_figure(hood))
    assert label in {t.get_text().replace("\n", " ") for t in texts}


def test_the_legend_names_node_and_edge_types(medical_graph):
    hood = khop(medical_graph, "condition:I10", 1, direction="both")
    figure = drawing.neighbourhood_figure(hood)
    legend = {t.get_text() for t in figure.axes[0].get_legend().get_texts()}
    node_types = {attrs["type"] for attrs in hood.nodes.values()}
    edge_types = {kind.replace("_", " ") for _, _, kind, _ in hood.edges}
    assert node_types <= legend and edge_types <= legend
    assert len(edge_types) >= 2  # the neighbourhood has several kinds of edge to tell apart


def test_png_is_a_png_of_the_figure(medical_graph):
    hood = khop(medical_graph, "condition:I10", 1, direction="both")
    png = drawing.neighbourhood_png(hood, title="I10")
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 10_000
