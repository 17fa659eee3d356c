"""What a reviewer reads about a decision and a model version: the decision's explanation in
numbers (base value E[f(X)], f(x) in log-odds, how f(x) becomes the probability), its SHAP
waterfall and the version's global importance drawn by ``shap``'s own plotting, and the reason
phrases in the language asked for (English or Chinese, with the applicant's value)."""

from __future__ import annotations

import math

import numpy as np

from apps.financial_risk.engine import reason_phrases, shap_pictures
from apps.financial_risk.models import Decision, RiskModel

from .decisions import decision_scored
from .governance_settings import governance_settings

OOD_PREFIX = "out of distribution: "
UNITS = (
    "SHAP values, E[f(X)] and f(x) are log-odds of default (the booster's margin); "
    "P(default) = 1 / (1 + exp(-(a * f(x) + b))) with the version's calibration a, b"
)


def _plain(value):
    """A table cell as JSON: NaN → None, NumPy numbers → Python numbers."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float):
        if math.isnan(value):
            return None
        return int(value) if value.is_integer() else value
    return value


def _explain(decision: Decision):
    loaded, table, result = decision_scored(decision)
    values = np.asarray(result.contributions[0], dtype=np.float64)
    base = float(result.base_value)
    order = np.argsort(-np.abs(values), kind="stable")
    fx = float(base + values[order].sum())  # as shap's waterfall computes it, in this order
    a, b = (float(x) for x in loaded.calibration)
    columns = loaded.pipeline.sources
    explained = {
        "base_value": base,
        "fx": fx,
        "calibration": {"a": a, "b": b},
        "probability": 1.0 / (1.0 + math.exp(-(a * fx + b))),
        "units": UNITS,
        "contributions": [
            {
                "feature": columns[j],
                "value": _plain(table[columns[j]][0]),
                "shap": round(float(values[j]), 6),
            }
            for j in order
        ],
    }
    return explained, loaded, values[order]


def decision_explained(decision: Decision) -> dict:
    """The decision's explanation: base value, f(x) = base value + the SHAP values (what the
    waterfall shows), the calibrated probability it maps to, and every input column's SHAP
    value with the applicant's value, largest effect first."""
    return _explain(decision)[0]


def _waterfall(decision: Decision, fmt: str):
    explained, loaded, values = _explain(decision)
    rows = explained["contributions"]
    title = (
        f"{decision.model.label}: f(x) = {explained['fx']:.3f} log-odds → P(default) = "
        f"{explained['probability']:.3f}, {decision.points:.0f} points, {decision.outcome}"
    )
    return shap_pictures.waterfall(
        base_value=explained["base_value"],
        values=values.tolist(),  # unrounded: f(x) on the picture is the API's
        data=[r["value"] for r in rows],
        labels=[loaded.pipeline.readable(r["feature"]) for r in rows],
        title=title,
        fmt=fmt,
    )


def decision_waterfall(decision: Decision, *, fmt: str = "svg"):
    """The decision's SHAP waterfall by ``shap.plots.waterfall``: SVG text or PNG bytes."""
    return _waterfall(decision, fmt)


def decision_waterfall_png(decision: Decision) -> bytes:
    return _waterfall(decision, "png")


def risk_model_importance(model: RiskModel, *, fmt: str = "svg"):
    """The version's global importance (mean |SHAP| per input column on the training rows,
    from its card) by ``shap.plots.bar``: SVG text or PNG bytes."""
    importance = model.card.get("global_importance") or []
    phrases = (model.feature_config or {}).get("reason_phrases") or {}
    return shap_pictures.importance(
        features=[reason_phrases.label(phrases, r["feature"]) for r in importance],
        mean_abs=[r["mean_abs_shap"] for r in importance],
        title=f"{model.label}: global importance",
        fmt=fmt,
    )


def risk_model_importance_png(model: RiskModel) -> bytes:
    return risk_model_importance(model, fmt="png")


# ---------------------------------------------------------------------------- reason phrases


def tenant_language(tenant) -> str:
    return governance_settings(tenant).get("reason_language") or reason_phrases.DEFAULT_LANGUAGE


def reasons_in(decision: Decision, language: str) -> list[dict]:
    """The decision's stored reasons with each phrase written in ``language`` from the feature
    configuration of its model version, with the applicant's value."""
    phrases = (decision.model.feature_config or {}).get("reason_phrases") or {}
    written = []
    for reason in decision.reasons or []:
        reason = dict(reason)
        if reason.get("out_of_distribution"):
            why = str(reason.get("phrase", "")).removeprefix(OOD_PREFIX)
            reason["phrase"] = reason_phrases.out_of_distribution_phrase(
                reason["feature"], why, reason.get("value"), language
            )
        else:
            reason["phrase"] = reason_phrases.phrase(
                phrases, reason["feature"], reason.get("value"), language
            )
        written.append(reason)
    return written
