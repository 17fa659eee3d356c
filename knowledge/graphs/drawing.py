"""A PNG of a neighbourhood for reports (matplotlib's Agg backend: no display needed)."""

from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg")  # before pyplot: servers and workers have no display

import matplotlib.pyplot as plt  # noqa: E402
import networkx as nx  # noqa: E402

from .algorithms import Neighbourhood  # noqa: E402

PALETTE = ["#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1"]


def neighbourhood_png(hood: Neighbourhood, *, title: str = "", size_in: float = 8.0) -> bytes:
    """Nodes coloured by type and labelled, edges labelled by type; the centre drawn larger."""
    graph = hood.to_networkx()
    types = sorted({attrs.get("type", "") for attrs in hood.nodes.values()})
    colour = {t: PALETTE[i % len(PALETTE)] for i, t in enumerate(types)}
    # A fixed seed: the same neighbourhood always gives the same picture.
    layout = nx.spring_layout(graph, seed=7) if len(graph) > 1 else {hood.center: (0.0, 0.0)}
    figure, axes = plt.subplots(figsize=(size_in, size_in * 0.75), dpi=100)
    try:
        nx.draw_networkx_edges(
            graph,
            layout,
            ax=axes,
            arrows=True,
            edge_color="#999999",
            connectionstyle="arc3,rad=0.08",
        )
        nx.draw_networkx_nodes(
            graph,
            layout,
            ax=axes,
            node_color=[colour[graph.nodes[n].get("type", "")] for n in graph],
            node_size=[900 if n == hood.center else 350 for n in graph],
        )
        labels = {n: (graph.nodes[n].get("label") or str(n))[:24] for n in graph}
        nx.draw_networkx_labels(graph, layout, labels=labels, ax=axes, font_size=8)
        edge_labels = {(s, t): k for s, t, k in graph.edges(keys=True)}
        nx.draw_networkx_edge_labels(graph, layout, edge_labels=edge_labels, ax=axes, font_size=6)
        for t in types:
            axes.scatter([], [], c=colour[t], label=t or "(untyped)")
        if types:
            axes.legend(loc="lower right", fontsize=7, frameon=False)
        axes.set_title(title, fontsize=10)
        axes.set_axis_off()
        out = io.BytesIO()
        figure.savefig(out, format="png", bbox_inches="tight")
        return out.getvalue()
    finally:
        plt.close(figure)
