"""Pictures as PNG bytes: a fraud ring (the SHAP waterfall and global importance are drawn by
shap's own plotting: ``shap_pictures``). Drawn on matplotlib ``Figure`` objects (not pyplot's
global state), so concurrent requests in a threaded web server do not share a canvas."""

from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg")

from matplotlib.figure import Figure  # noqa: E402


def _png(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=100, bbox_inches="tight")
    return buffer.getvalue()


def ring_png(*, graph, focus: str, title: str) -> bytes:
    """Accounts (circles; red = confirmed fraud, outlined = the one asked about) and the
    identifiers they share (squares)."""
    import networkx as nx

    figure = Figure(figsize=(7, 6))
    axes = figure.subplots()
    layout = nx.spring_layout(graph, seed=7)
    accounts = [n for n, d in graph.nodes(data=True) if d.get("kind") == "account"]
    identifiers = [n for n in graph.nodes if n not in set(accounts)]
    colours = ["#d62728" if graph.nodes[n].get("fraud") else "#1f77b4" for n in accounts]
    nx.draw_networkx_edges(graph, layout, ax=axes, alpha=0.5)
    nx.draw_networkx_nodes(
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
        node_color="#bbbbbb",
        ax=axes,
        node_size=160,
    )
    labels = {n: graph.nodes[n].get("label", str(n)) for n in graph.nodes}
    nx.draw_networkx_labels(graph, layout, labels=labels, ax=axes, font_size=7)
    axes.set_title(title, fontsize=10)
    axes.axis("off")
    return _png(figure)
