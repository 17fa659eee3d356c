"""Graph pictures for reports: a knowledge neighbourhood here, and the label placement that the
fraud-ring picture shares (matplotlib's Agg backend: no display needed).

Labels are wrapped (never cut) and then moved apart by adjustText, a small, well-kept library
that pushes overlapping texts away from each other and from the nodes, drawing a thin line back
to the node where a label had to move; the figure is saved with every label inside it.
"""

from __future__ import annotations

import io
import textwrap

import matplotlib

matplotlib.use("Agg")  # before any figure: servers and workers have no display

import networkx as nx  # noqa: E402
from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
from matplotlib.text import Text  # noqa: E402

from .algorithms import Neighbourhood  # noqa: E402

PALETTE = ["#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1"]
# Edge types by colour (named in the legend) rather than by a text on every edge: on a dense
# neighbourhood the edge texts covered each other and the node labels.
EDGE_PALETTE = ["#555555", "#9c755f", "#bab0ac", "#ff9da7", "#8cd17d", "#499894", "#d37295"]
LABEL_GID = "graph-label"  # marks the texts this module placed (tests measure them)
LABEL_WIDTH_CHARS = 20
LABEL_MAX_LINES = 3


def wrapped_label(text: str) -> str:
    """At most LABEL_MAX_LINES lines of about LABEL_WIDTH_CHARS (a longer word keeps its own
    line whole); an ellipsis only past that."""
    lines = textwrap.wrap(str(text), LABEL_WIDTH_CHARS, break_long_words=False) or [""]
    if len(lines) > LABEL_MAX_LINES:
        lines = lines[:LABEL_MAX_LINES]
        lines[-1] = lines[-1][: LABEL_WIDTH_CHARS - 1].rstrip() + "…"
    return "\n".join(lines)


def spaced_layout(graph: nx.Graph) -> dict:
    """Positions with room for labels: Kamada-Kawai (even edge lengths) from a fixed seed
    layout, so the same graph always gives the same picture."""
    if len(graph) == 0:
        return {}
    if len(graph) == 1:
        return {next(iter(graph)): (0.0, 0.0)}
    start = nx.spring_layout(graph, seed=7)
    return nx.kamada_kawai_layout(nx.Graph(graph), pos=start)


def place_labels(axes, layout: dict, labels: dict, *, font_size: float, nodes=None) -> list[Text]:
    """Write each node's label at its node, then move the labels apart (and off the node
    markers in ``nodes``, one PathCollection as networkx draws it) until no two overlap.
    """
    from adjustText import adjust_text  # seconds to import: only where a picture is drawn

    texts = []
    for node, label in labels.items():
        x, y = layout[node]
        texts.append(
            axes.text(
                x,
                y,
                wrapped_label(label),
                fontsize=font_size,
                ha="center",
                va="center",
                zorder=5,
                gid=LABEL_GID,
                bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.75},
            )
        )
    axes.margins(0.12)  # room at the edges before adjustText measures the axes
    if len(texts) > 1:
        adjust_text(
            texts,
            ax=axes,
            objects=nodes,
            expand=(1.15, 1.3),
            ensure_inside_axes=True,
            iter_lim=400,
            arrowprops={"arrowstyle": "-", "color": "#888888", "lw": 0.5},
        )
    return texts


def new_figure(width_in: float, height_in: float) -> Figure:
    """A Figure on its own Agg canvas (adjustText and the tests measure texts with its
    renderer), not pyplot's: concurrent requests in a threaded server share no state."""
    figure = Figure(figsize=(width_in, height_in), dpi=100)
    FigureCanvasAgg(figure)
    return figure


def figure_png(figure: Figure) -> bytes:
    out = io.BytesIO()
    # "tight" grows the saved area to every artist, so a label never ends at the border.
    figure.savefig(out, format="png", dpi=100, bbox_inches="tight", pad_inches=0.1)
    return out.getvalue()


def neighbourhood_figure(hood: Neighbourhood, *, title: str = "", size_in: float = 8.0) -> Figure:
    """Nodes coloured by type and labelled, edges coloured by type (the legend names both);
    the centre drawn larger."""
    graph = hood.to_networkx()
    node_types = sorted({attrs.get("type", "") for attrs in hood.nodes.values()})
    node_colour = {t: PALETTE[i % len(PALETTE)] for i, t in enumerate(node_types)}
    edge_types = sorted({k for _, _, k in graph.edges(keys=True)})
    edge_colour = {t: EDGE_PALETTE[i % len(EDGE_PALETTE)] for i, t in enumerate(edge_types)}
    layout = spaced_layout(graph) or {hood.center: (0.0, 0.0)}
    figure = new_figure(size_in, size_in * 0.75)
    axes = figure.subplots()
    edges = list(graph.edges(keys=True))
    nx.draw_networkx_edges(
        graph,
        layout,
        ax=axes,
        edgelist=[(s, t) for s, t, _ in edges],
        edge_color=[edge_colour[k] for _, _, k in edges],
        arrows=True,
        connectionstyle="arc3,rad=0.08",
    )
    markers = nx.draw_networkx_nodes(
        graph,
        layout,
        ax=axes,
        node_color=[node_colour[graph.nodes[n].get("type", "")] for n in graph],
        node_size=[900 if n == hood.center else 350 for n in graph],
    )
    handles = [
        Line2D([], [], marker="o", ls="", color=node_colour[t], label=t or "(untyped)")
        for t in node_types
    ] + [Line2D([], [], color=edge_colour[t], label=t.replace("_", " ")) for t in edge_types]
    if handles:
        axes.legend(
            handles=handles, loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=7, frameon=False
        )
    axes.set_title(title, fontsize=10)
    axes.set_axis_off()
    labels = {n: graph.nodes[n].get("label") or str(n) for n in graph}
    place_labels(axes, layout, labels, font_size=8, nodes=markers)
    return figure


def neighbourhood_png(hood: Neighbourhood, *, title: str = "", size_in: float = 8.0) -> bytes:
    return figure_png(neighbourhood_figure(hood, title=title, size_in=size_in))
