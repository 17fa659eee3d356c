"""Pictures as PNG bytes: a fraud ring (the SHAP waterfall and global importance are drawn by
shap's own plotting: ``shap_pictures``). Drawn on matplotlib ``Figure`` objects (not pyplot's
global state), so concurrent requests in a threaded web server do not share a canvas; the
layout and label placement are the knowledge layer's, shared with its neighbourhood pictures."""

from __future__ import annotations

from knowledge.graphs.drawing import figure_png, new_figure, place_labels, spaced_layout

FRAUD_RED = "#d62728"
ACCOUNT_BLUE = "#1f77b4"
IDENTIFIER_GREY = "#bbbbbb"


def ring_png(*, graph, focus: str, title: str) -> bytes:
    return figure_png(ring_figure(graph=graph, focus=focus, title=title))


def ring_figure(*, graph, focus: str, title: str):
    """Accounts (circles; red = confirmed fraud, outlined = the one asked about) and the
    identifiers they share (squares), with a legend saying so; labels kept apart and inside
    the picture (knowledge.graphs.drawing.place_labels)."""
    import networkx as nx
    from matplotlib.lines import Line2D

    figure = new_figure(7, 6)
    axes = figure.subplots()
    layout = spaced_layout(graph)
    accounts = [n for n, d in graph.nodes(data=True) if d.get("kind") == "account"]
    identifiers = [n for n in graph.nodes if n not in set(accounts)]
    colours = [FRAUD_RED if graph.nodes[n].get("fraud") else ACCOUNT_BLUE for n in accounts]
    nx.draw_networkx_edges(graph, layout, ax=axes, alpha=0.5)
    account_markers = nx.draw_networkx_nodes(
        graph,
        layout,
        nodelist=accounts,
        node_color=colours,
        ax=axes,
        node_size=320,
        edgecolors=["black" if n == focus else "none" for n in accounts],
        linewidths=2.5,
    )
    nx.draw_networkx_nodes(
        graph,
        layout,
        nodelist=identifiers,
        node_shape="s",
        node_color=IDENTIFIER_GREY,
        ax=axes,
        node_size=160,
    )
    legend = [
        Line2D([], [], marker="o", ls="", color=ACCOUNT_BLUE, ms=9, label="account"),
        Line2D([], [], marker="o", ls="", color=FRAUD_RED, ms=9, label="confirmed fraud"),
        Line2D(
            [],
            [],
            marker="o",
            ls="",
            mfc="white",
            mec="black",
            mew=2,
            ms=9,
            label="the account asked about",
        ),
        Line2D(
            [],
            [],
            marker="s",
            ls="",
            color=IDENTIFIER_GREY,
            ms=8,
            label="shared identifier (device, IP, phone...)",
        ),
    ]
    axes.legend(
        handles=legend, loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8, frameon=False
    )
    axes.set_title(title, fontsize=10)
    axes.axis("off")
    labels = {n: graph.nodes[n].get("label", str(n)) for n in graph.nodes}
    # adjustText keeps labels off one PathCollection's markers; the accounts' are the larger.
    place_labels(axes, layout, labels, font_size=7, nodes=account_markers)
    return figure
