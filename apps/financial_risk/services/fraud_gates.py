"""The promotion gates of transaction-fraud models (see ``gates.py``, which calls these for a
fraud model): the behavioural model against its own baseline, and against the champion on the
same measured weeks."""

from __future__ import annotations

import numpy as np
import xgboost as xgb
from sklearn.metrics import average_precision_score

from apps.financial_risk.engine.fraud_features import NAMES, offline_features
from apps.financial_risk.models import RiskModel, Transaction

from .fraud_scoring import fraud_scorer
from .fraud_state import history
from .gate_outcomes import FAILED, PASSED, family_champion, gate_result


def _baseline_gate(model: RiskModel) -> dict:
    metrics = model.card.get("metrics", {})
    own = metrics.get("model", {}).get("pr_auc")
    baseline = metrics.get("baseline", {}).get("pr_auc")
    if own is None or baseline is None:
        # A model that cannot be measured is not promoted silently (an override may).
        return gate_result(FAILED, "the measured weeks hold no fraud (or only fraud): no PR-AUC")
    return gate_result(
        PASSED if own >= baseline else FAILED,
        f"PR-AUC {own} against {baseline} for the same model on the payment's own fields, "
        "on the measured weeks",
        value=own,
        threshold=baseline,
    )


def _pr_auc(version: RiskModel, X_all: np.ndarray, y: np.ndarray) -> float | None:
    scorer = fraud_scorer(version)  # the booster as scoring loads and keeps it
    if any(name not in NAMES for name in scorer.names):
        return None  # features this code no longer declares
    columns = [NAMES.index(name) for name in scorer.names]
    p = scorer.booster.predict(xgb.DMatrix(X_all[:, columns], feature_names=scorer.names))
    return round(float(average_precision_score(y, p)), 4)


def _unseen_weeks(model: RiskModel, champion: RiskModel) -> tuple[int, int] | None:
    """The candidate's measured weeks that neither version trained or stopped on: from the
    later of the two versions' second cut-offs to the end of the candidate's training data
    (its split's last slice is as long as its middle one), so transactions scored since then,
    not yet labelled, never count as honest."""
    cutoffs = model.card.get("cutoffs_ms") or []
    if len(cutoffs) != 2:
        return None
    first, second = int(cutoffs[0]), int(cutoffs[1])
    theirs = champion.card.get("cutoffs_ms") or []
    start = max(second, int(theirs[1])) if len(theirs) == 2 else second
    end = second + (second - first)
    return (start, end) if start < end else None


def _champion_gate(tenant, model: RiskModel, config: dict) -> dict:
    champion = family_champion(model)
    if champion is None:
        return gate_result(PASSED, "no champion to compare with")
    window = _unseen_weeks(model, champion)
    h, y, _ = history(Transaction.objects.filter(tenant=tenant))
    if window is None or not len(y):
        return gate_result(FAILED, f"no weeks that neither this version nor {champion.label} saw")
    measured = (h.ts_ms >= window[0]) & (h.ts_ms <= window[1])
    if not measured.any() or y[measured].all() or not y[measured].any():
        refused = "no measured weeks with fraud and honest transactions to compare on"
        return gate_result(FAILED, refused)
    X = offline_features(h)[measured]
    candidate, theirs = _pr_auc(model, X, y[measured]), _pr_auc(champion, X, y[measured])
    for version, figure in ((model, candidate), (champion, theirs)):
        if figure is None:
            return gate_result(
                FAILED, f"{version.label} uses features this code no longer declares"
            )
    floor = round(theirs - config["auc_margin"], 4)
    return gate_result(
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
