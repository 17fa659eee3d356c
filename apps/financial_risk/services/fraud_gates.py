"""The promotion gates of transaction-fraud models (see ``gates.py``, which calls these for a
fraud model): the behavioural model against its own baseline, and against the champion on the
same measured weeks."""

from __future__ import annotations

import numpy as np
import xgboost as xgb
from sklearn.metrics import average_precision_score

from apps.financial_risk.engine.fraud_features import NAMES, offline_features
from apps.financial_risk.models import ModelState, RiskModel, Transaction

from .fraud_state import history

PASSED, FAILED, SKIPPED = "passed", "failed", "skipped"


def _result(status: str, detail: str, value=None, threshold=None) -> dict:
    return {"status": status, "value": value, "threshold": threshold, "detail": detail}


def _baseline_gate(model: RiskModel) -> dict:
    metrics = model.card.get("metrics", {})
    own = metrics.get("model", {}).get("pr_auc")
    baseline = metrics.get("baseline", {}).get("pr_auc")
    if own is None or baseline is None:
        return _result(SKIPPED, "the measured weeks hold no fraud (or only fraud): no PR-AUC")
    return _result(
        PASSED if own >= baseline else FAILED,
        f"PR-AUC {own} against {baseline} for the same model on the payment's own fields, "
        "on the measured weeks",
        value=own,
        threshold=baseline,
    )


def _pr_auc(version: RiskModel, X_all: np.ndarray, y: np.ndarray) -> float | None:
    names = list(version.feature_config.get("features") or [])
    if not names or any(name not in NAMES for name in names):
        return None  # features this code no longer declares
    booster = xgb.Booster()
    booster.load_model(bytearray(version.booster))
    columns = [NAMES.index(name) for name in names]
    p = booster.predict(xgb.DMatrix(X_all[:, columns], feature_names=names))
    return round(float(average_precision_score(y, p)), 4)


def _champion_gate(tenant, model: RiskModel, config: dict) -> dict:
    champion = (
        RiskModel.objects.filter(state=ModelState.CHAMPION, **model.family())
        .exclude(pk=model.pk)
        .first()
    )
    if champion is None:
        return _result(PASSED, "no champion to compare with")
    cutoffs = model.card.get("cutoffs_ms") or []
    h, y, _ = history(Transaction.objects.filter(tenant=tenant))
    measured = h.ts_ms >= cutoffs[1] if len(cutoffs) == 2 and len(y) else np.zeros(0, bool)
    if not measured.any() or y[measured].all() or not y[measured].any():
        refused = "no measured weeks with fraud and honest transactions to compare on"
        return _result(FAILED, refused)
    X = offline_features(h)[measured]
    candidate, theirs = _pr_auc(model, X, y[measured]), _pr_auc(champion, X, y[measured])
    if candidate is None or theirs is None:
        return _result(FAILED, f"the champion {champion.label} uses features no longer declared")
    floor = round(theirs - config["auc_margin"], 4)
    return _result(
        PASSED if candidate >= floor else FAILED,
        f"PR-AUC {candidate} against the champion {champion.label}'s {theirs}, both on the "
        f"candidate's measured weeks ({int(measured.sum())} transactions, "
        f"{int(y[measured].sum())} fraud)",
        value=candidate,
        threshold=floor,
    )


def fraud_gate_results(*, tenant, model: RiskModel, config: dict) -> dict:
    """``baseline`` and ``pr_auc`` for a fraud model (``tenant``'s thresholds in ``config``)."""
    return {"baseline": _baseline_gate(model), "pr_auc": _champion_gate(tenant, model, config)}
