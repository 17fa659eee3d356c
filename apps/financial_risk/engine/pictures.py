"""Pictures as PNG bytes: a SHAP waterfall for one decision, global importance for a model
version, and a fraud ring. Drawn on matplotlib ``Figure`` objects (not pyplot's global state),
so concurrent requests in a threaded web server do not share a canvas."""

from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg")

from matplotlib.figure import Figure  # noqa: E402

RISK_UP = "#d62728"
RISK_DOWN = "#1f77b4"


def _png(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=100, bbox_inches="tight")
    return buffer.getvalue()


def waterfall_png(
    *, base_value: float, contributions: list[tuple[str, float]], title: str, max_rows: int = 10
) -> bytes:
    """From the base value (average log-odds) to this applicant's log-odds, one bar per input
    column, largest effects first; the rest summed into one bar."""
    ordered = sorted(contributions, key=lambda item: -abs(item[1]))
    shown = ordered[:max_rows]
    rest = sum(value for _, value in ordered[max_rows:])
    if len(ordered) > max_rows:
        shown.append((f"{len(ordered) - max_rows} other features", rest))
    shown.reverse()  # matplotlib draws the first bar at the bottom
    figure = Figure(figsize=(8, 0.45 * len(shown) + 1.5))
    axes = figure.subplots()
    running = base_value + sum(value for _, value in shown)
    starts = []
    for _, value in reversed(shown):
        running -= value
        starts.append(running)
    starts.reverse()
    for row, ((_label, value), start) in enumerate(zip(shown, starts, strict=True)):
        axes.barh(row, value, left=start, color=RISK_UP if value > 0 else RISK_DOWN)
        axes.text(start + value, row, f" {value:+.3f}", va="center", fontsize=8)
    axes.set_yticks(range(len(shown)), [label for label, _ in shown], fontsize=8)
    axes.axvline(base_value, color="grey", linewidth=0.8, linestyle="--")
    axes.set_xlabel("log-odds of default (SHAP); red pushes toward decline")
    axes.set_title(title, fontsize=10)
    return _png(figure)


def importance_png(*, importance: list[dict], title: str, max_rows: int = 20) -> bytes:
    """Mean absolute SHAP value per input column on the training rows."""
    rows = importance[:max_rows][::-1]
    figure = Figure(figsize=(8, 0.35 * len(rows) + 1.5))
    axes = figure.subplots()
    axes.barh(range(len(rows)), [r["mean_abs_shap"] for r in rows], color=RISK_DOWN)
    axes.set_yticks(range(len(rows)), [r["feature"] for r in rows], fontsize=8)
    axes.set_xlabel("mean |SHAP| (log-odds)")
    axes.set_title(title, fontsize=10)
    return _png(figure)


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
