"""Explanation pictures drawn by ``shap``'s own plotting: the waterfall of one decision (from the
base value E[f(X)] through each input column, labelled with the applicant's value, to f(x)) and
the global importance bars of a model version.

shap draws on pyplot's current figure (global state), so every drawing holds one lock, on a
figure of its own that is closed afterwards: concurrent requests of a threaded server never
share a canvas. SVG is written with its text as text (``svg.fonttype: none``) and without a
fixed size, so it scales to the page and its labels are searchable; PNG (downloads) and PDF
(the model card's) are bytes."""

from __future__ import annotations

import io
import re
import threading

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import shap  # noqa: E402
from matplotlib.ticker import FixedFormatter  # noqa: E402

_LOCK = threading.Lock()
FORMATS = ("svg", "png", "pdf")
SVG_RC = {"svg.fonttype": "none", "svg.hashsalt": "financial-risk"}
_SIZE = re.compile(r'<svg([^>]*?) width="([\d.]+)pt" height="([\d.]+)pt"')


def _plain_math_labels(figure) -> None:
    """shap writes E[f(X)], f(x) and their values as mathtext (``$f(x)$``), which SVG splits
    into one glyph per element; the same labels as plain text read as one string."""
    for axes in figure.axes:
        labels = [t.get_text() for t in axes.xaxis.get_majorticklabels()]
        if any("$" in text for text in labels):
            axes.xaxis.set_major_formatter(FixedFormatter([t.replace("$", "") for t in labels]))


def fit_svg(svg: str, *, css_class: str) -> str:
    """The SVG for inline use: no XML prolog, width 100% of its container up to its natural
    width, height from its view box (nothing is cut off at any page width)."""
    svg = svg[svg.index("<svg") :]

    def sized(match):
        width_px = float(match.group(2)) * 4 / 3
        return (
            f'<svg{match.group(1)} class="{css_class}" width="100%" role="img" '
            f'preserveAspectRatio="xMinYMin meet" '
            f'style="max-width: {width_px:.0f}px; height: auto; display: block"'
        )

    return _SIZE.sub(sized, svg, count=1)


def _render(draw, *, fmt: str, css_class: str, title: str):
    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {FORMATS}")
    with _LOCK, plt.rc_context(SVG_RC):
        figure = plt.figure()
        try:
            draw()
            _plain_math_labels(figure)
            if title:
                figure.suptitle(title, fontsize=11, x=0.02, ha="left")
            buffer = io.BytesIO()
            figure.savefig(buffer, format=fmt, dpi=100, bbox_inches="tight")
        finally:
            plt.close(figure)
    content = buffer.getvalue()
    if fmt != "svg":
        return content
    return fit_svg(content.decode("utf-8"), css_class=css_class)


def waterfall(
    *,
    base_value: float,
    values: list[float],
    data: list,
    labels: list[str],
    title: str = "",
    fmt: str = "svg",
    max_display: int = 10,
):
    """One decision's waterfall: ``values`` are the SHAP values (log-odds) of the input
    columns named ``labels``, whose applicant values are ``data``; f(x) is their sum plus the
    base value. SVG text (a string) or PNG bytes."""
    explanation = shap.Explanation(
        values=np.asarray(values, dtype=np.float64),
        base_values=float(base_value),
        data=np.asarray([_shown(v) for v in data], dtype=object),
        feature_names=list(labels),
    )

    def draw():
        shap.plots.waterfall(explanation, max_display=max_display, show=False)

    return _render(draw, fmt=fmt, css_class="shap-waterfall", title=title)


def importance(
    *, features: list[str], mean_abs: list[float], title: str = "", fmt: str = "svg", top: int = 20
):
    """Global importance: mean |SHAP| per input column on the training rows, as shap's bar
    plot. SVG text or PNG bytes."""
    explanation = shap.Explanation(
        values=np.asarray(mean_abs, dtype=np.float64), feature_names=list(features)
    )

    def draw():
        axes = shap.plots.bar(explanation, max_display=top, show=False)
        axes.set_xlabel("mean |SHAP value| on the training rows (log-odds of default)")

    return _render(draw, fmt=fmt, css_class="shap-importance", title=title)


def _shown(value):
    """Numbers stay numbers (shap prints them to three decimals), the rest as text."""
    if value is None:
        return "missing"
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int | float | np.integer | np.floating):
        return float(value)
    return str(value)
