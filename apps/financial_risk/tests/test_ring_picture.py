"""The fraud-ring picture: a legend that says what the colours and shapes mean, and account and
identifier labels that neither overlap nor leave the plot, on a ring the size the detector
reports (a dozen accounts sharing devices, IP addresses and phones)."""

from __future__ import annotations

import itertools

import networkx as nx

from apps.financial_risk.engine.pictures import ring_figure, ring_png
from knowledge.graphs.drawing import LABEL_GID


def a_ring() -> nx.Graph:
    graph = nx.Graph()
    for i in range(12):
        graph.add_node(f"acct:{i}", kind="account", label=f"ACC-2026-{i:05d}", fraud=i % 4 == 0)
    for j, kind in enumerate(["device", "ip", "phone", "device"]):
        identifier = f"{kind}:{'ab12cd34' * 2}{j}"
        graph.add_node(identifier, kind="identifier", label=identifier)
        for i in range(j * 3, j * 3 + 5):
            graph.add_edge(f"acct:{i % 12}", identifier)
    return graph


def test_the_legend_explains_colours_and_shapes():
    figure = ring_figure(graph=a_ring(), focus="acct:1", title="Ring of 12 accounts")
    legend = [t.get_text() for t in figure.axes[0].get_legend().get_texts()]
    assert legend == [
        "account",
        "confirmed fraud",
        "the account asked about",
        "shared identifier (device, IP, phone...)",
    ]


def test_labels_neither_overlap_nor_leave_the_plot():
    figure = ring_figure(graph=a_ring(), focus="acct:1", title="Ring of 12 accounts")
    figure.canvas.draw()
    renderer = figure.canvas.get_renderer()
    texts = [t for t in figure.axes[0].texts if t.get_gid() == LABEL_GID]
    assert len(texts) == 16
    boxes = [t.get_window_extent(renderer) for t in texts]
    assert not [
        (a.get_text(), b.get_text())
        for (a, box_a), (b, box_b) in itertools.combinations(zip(texts, boxes, strict=True), 2)
        if box_a.overlaps(box_b)
    ]
    plot = figure.axes[0].bbox
    assert all(
        plot.x0 <= b.x0 and plot.y0 <= b.y0 and b.x1 <= plot.x1 and b.y1 <= plot.y1 for b in boxes
    )


def test_png():
    assert ring_png(graph=a_ring(), focus="acct:1", title="t").startswith(b"\x89PNG")
