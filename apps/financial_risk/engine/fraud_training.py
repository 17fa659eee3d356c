"""The fraud model: XGBoost on the declared features with time-based validation, thresholds
for allow/review/block, evaluation figures, and per-row scoring with SHAP contributions
(no Django here).

Time-based validation: rows are split by time, never shuffled: the earliest weeks train, the
next slice stops the boosting and places the thresholds, and the latest slice is only
measured. A model never sees a week later than the one it is judged on.
"""

from __future__ import annotations

from dataclasses import dataclass

import networkx as nx
import numpy as np
import xgboost as xgb
from sklearn.metrics import average_precision_score, roc_curve

from .fraud_features import BASELINE_NAMES, NAMES
from .rings import account_key, find_rings, identifier_key

PARAMS = {
    "objective": "binary:logistic",
    "eval_metric": "aucpr",
    "max_depth": 5,
    "eta": 0.08,
    "subsample": 0.9,
    "colsample_bytree": 0.9,
    "min_child_weight": 2,
    "tree_method": "hist",
    "seed": 0,
}
MAX_ROUNDS = 400
EARLY_STOPPING = 40
SPLIT = (0.6, 0.2)  # train, stop+thresholds; the rest is measured
REVIEW_FPR, BLOCK_FPR = 0.01, 0.001


@dataclass
class TimeSplit:
    train: np.ndarray
    stop: np.ndarray
    test: np.ndarray
    cutoffs_ms: tuple[int, int]


def time_split(ts_ms: np.ndarray, fractions=SPLIT) -> TimeSplit:
    """Boolean masks by time: the first ``fractions[0]`` of the time span trains, the next
    ``fractions[1]`` stops the boosting, the rest is measured."""
    lo, hi = int(ts_ms.min()), int(ts_ms.max()) + 1
    first = lo + int((hi - lo) * fractions[0])
    second = lo + int((hi - lo) * (fractions[0] + fractions[1]))
    return TimeSplit(ts_ms < first, (ts_ms >= first) & (ts_ms < second), ts_ms >= second,
                     (first, second))  # fmt: skip


def recall_at_fpr(y, p, fpr: float = 0.01) -> float:
    """The share of fraud caught with at most ``fpr`` of honest transactions flagged."""
    false_pos, true_pos, _ = roc_curve(y, p)
    ok = false_pos <= fpr
    return float(true_pos[ok].max()) if ok.any() else 0.0


def threshold_at_fpr(y, p, fpr: float) -> float:
    """The lowest score that flags at most ``fpr`` of the honest rows."""
    honest = np.sort(np.asarray(p)[np.asarray(y) == 0])
    if not len(honest):
        return 0.5
    index = min(len(honest) - 1, int(np.ceil(len(honest) * (1 - fpr))))
    return float(np.nextafter(honest[index], 1.0))


def figures(y, p) -> dict:
    """PR-AUC and recall at 1 % FPR; None where the slice lacks fraud or honest rows."""
    both = bool(y.any() and not y.all())
    return {
        "pr_auc": round(float(average_precision_score(y, p)), 4) if both else None,
        "recall_at_1pct_fpr": round(recall_at_fpr(y, p, 0.01), 4) if both else None,
        "rows": int(len(y)),
        "fraud_rows": int(y.sum()),
    }


@dataclass
class FraudFit:
    booster: xgb.Booster
    names: list[str]
    best_rounds: int
    thresholds: dict
    figures: dict  # validation figures on the measured slice


def fit(X, y, ts_ms, *, names: list[str] = NAMES, columns: list[str] = NAMES) -> FraudFit:
    """Train on the earliest weeks with early stopping on the next slice, place the review
    and block thresholds there, and measure on the latest slice. ``columns`` are ``X``'s
    columns; ``names`` the ones this model uses (the baseline uses fewer)."""
    use = [columns.index(n) for n in names]
    X = np.asarray(X)[:, use]
    split = time_split(ts_ms)
    if not (y[split.train].any() and y[split.stop].any()):
        raise ValueError("Both the training weeks and the stopping weeks need fraud rows.")
    train = xgb.DMatrix(X[split.train], label=y[split.train], feature_names=names)
    stop = xgb.DMatrix(X[split.stop], label=y[split.stop], feature_names=names)
    booster = xgb.train(
        # One thread: on a small, shared machine OpenMP threads spin against each other
        # (0.1 s per round on 2,000 rows with all cores, against a few ms with one).
        {**PARAMS, "nthread": 1},
        train,
        num_boost_round=MAX_ROUNDS,
        evals=[(stop, "stop")],
        early_stopping_rounds=EARLY_STOPPING,
        verbose_eval=False,
    )
    rounds = booster.best_iteration + 1
    booster = booster[:rounds]
    p_stop = booster.predict(stop)
    thresholds = {
        "review_at": round(threshold_at_fpr(y[split.stop], p_stop, REVIEW_FPR), 6),
        "block_at": round(threshold_at_fpr(y[split.stop], p_stop, BLOCK_FPR), 6),
    }
    thresholds["block_at"] = max(thresholds["block_at"], thresholds["review_at"])
    measured = {}
    if split.test.any():
        p_test = booster.predict(xgb.DMatrix(X[split.test], feature_names=names))
        measured = figures(y[split.test], p_test)
    measured["cutoffs_ms"] = list(split.cutoffs_ms)
    return FraudFit(booster, list(names), rounds, thresholds, measured)


def fit_pair(X, y, ts_ms) -> tuple[FraudFit, FraudFit]:
    """The behavioural model and the baseline (the payment's own fields only), same split."""
    return fit(X, y, ts_ms), fit(X, y, ts_ms, names=BASELINE_NAMES)


def ring_snapshot(
    account, device, ip, card, is_fraud, *, max_accounts_per_identifier: int = 8
) -> dict[str, float]:
    """Rings found on the account-identifier graph of the given rows (``ml.rings``), as
    account → ring score; the evaluation builds it from the rows before a cutoff only."""
    graph = nx.Graph()
    for acct, *identifiers in zip(account, device, ip, card, strict=True):
        node = account_key(acct)
        graph.add_node(node, type="account")
        for kind, value in zip(("device", "ip", "card"), identifiers, strict=True):
            key = identifier_key(kind, value)
            graph.add_node(key, type=kind)
            graph.add_edge(node, key)
    fraud = {account_key(a) for a in set(np.asarray(account)[np.asarray(is_fraud)])}
    rings, _ = find_rings(graph, max_accounts_per_identifier=max_accounts_per_identifier,
                          fraud=fraud)  # fmt: skip
    return {a.split(":", 1)[1]: ring.score for ring in rings for a in ring.accounts}


class FraudScorer:
    """A registered fraud model loaded for scoring one row at a time: one ``pred_contribs``
    call gives the SHAP contributions and, summed, the margin (TreeSHAP is exact)."""

    def __init__(self, booster_bytes: bytes, names: list[str], thresholds: dict):
        self.booster = xgb.Booster()
        self.booster.load_model(bytearray(booster_bytes))
        self.booster.set_param({"nthread": 1})  # one row: a thread pool costs more than it saves
        self.names = list(names)
        self.review_at = float(thresholds["review_at"])
        self.block_at = float(thresholds["block_at"])

    def score(self, row: np.ndarray) -> tuple[float, np.ndarray]:
        matrix = xgb.DMatrix(row.reshape(1, -1), feature_names=self.names, nthread=1)
        contributions = self.booster.predict(matrix, pred_contribs=True)[0]
        margin = float(contributions.sum())
        return 1.0 / (1.0 + np.exp(-margin)), contributions[:-1]

    def outcome(self, probability: float) -> str:
        if probability >= self.block_at:
            return "block"
        if probability >= self.review_at:
            return "review"
        return "allow"
