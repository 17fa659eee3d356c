"""Drift measures: population stability index (PSI) per feature and for the score, and
adversarial validation (a classifier telling training rows from recent rows)."""

from __future__ import annotations

import numpy as np
import xgboost as xgb
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedKFold

# The industry's usual reading of PSI: under 0.1 stable, 0.1-0.25 a shift to watch, above an
# alert. An adversarial AUC well above 0.5 means recent rows are easy to tell from training.
PSI_WARNING = 0.1
PSI_ALERT = 0.25
ADVERSARIAL_WARNING = 0.6
ADVERSARIAL_ALERT = 0.75
# An empty bucket would make PSI infinite; proportions are floored at this.
EPSILON = 1e-4
MISSING = "(missing)"
OTHER = "(other)"


def reference_numeric(values: np.ndarray, bins: int = 10) -> dict:
    """Decile edges of the training values and the proportion of rows per bucket (the last
    bucket holds missing values)."""
    values = np.asarray(values, dtype=np.float64)
    finite = values[~np.isnan(values)]
    edges = np.unique(np.quantile(finite, np.linspace(0, 1, bins + 1)[1:-1])) if finite.size else []
    reference = {"kind": "numeric", "edges": [float(e) for e in edges]}
    reference["expected"] = bucket_shares(values, reference).tolist()
    return reference


def reference_categorical(values: np.ndarray, limit: int = 30) -> dict:
    keys = np.array([MISSING if v is None else str(v) for v in values], dtype=object)
    categories, counts = np.unique(keys, return_counts=True)
    kept = [str(categories[i]) for i in np.argsort(-counts, kind="stable")[:limit]]
    reference = {"kind": "categorical", "categories": kept}
    reference["expected"] = bucket_shares(values, reference).tolist()
    return reference


def bucket_shares(values, reference: dict) -> np.ndarray:
    """Proportion of ``values`` in each of the reference's buckets."""
    if reference["kind"] == "numeric":
        values = np.asarray(values, dtype=np.float64)
        edges = np.asarray(reference["edges"])
        index = np.searchsorted(edges, values, side="right")
        index[np.isnan(values)] = len(edges) + 1
        counts = np.bincount(index, minlength=len(edges) + 2)
    else:
        position = {c: i for i, c in enumerate(reference["categories"])}
        other = len(position)
        index = np.fromiter(
            (position.get(MISSING if v is None else str(v), other) for v in values),
            np.int64,
            count=len(values),
        )
        counts = np.bincount(index, minlength=other + 1)
    return counts / max(counts.sum(), 1)


def psi(expected, actual) -> float:
    """Population stability index: sum over buckets of (actual - expected) * ln(actual /
    expected), proportions floored at EPSILON."""
    e = np.maximum(np.asarray(expected, dtype=np.float64), EPSILON)
    a = np.maximum(np.asarray(actual, dtype=np.float64), EPSILON)
    return float(np.sum((a - e) * np.log(a / e)))


def psi_alert(value: float) -> str:
    return "alert" if value >= PSI_ALERT else "warning" if value >= PSI_WARNING else "ok"


def adversarial_alert(auc: float) -> str:
    if auc >= ADVERSARIAL_ALERT:
        return "alert"
    return "warning" if auc >= ADVERSARIAL_WARNING else "ok"


def adversarial_validation(
    training: np.ndarray, recent: np.ndarray, grouping: np.ndarray, sources: list[str], *, seed=0
) -> dict:
    """Cross-validated AUC of a small XGBoost classifier separating training rows (0) from
    recent rows (1), and the input columns it relies on most (gain, grouped by column)."""
    matrix = np.vstack([training, recent]).astype(np.float32)
    labels = np.concatenate([np.zeros(len(training)), np.ones(len(recent))])
    params = {
        "objective": "binary:logistic",
        "max_depth": 3,
        "eta": 0.1,
        "tree_method": "hist",
        "seed": seed,
        "nthread": 1,
    }
    folds = StratifiedKFold(3, shuffle=True, random_state=seed)
    scores = np.zeros(len(labels))
    gains = np.zeros(grouping.shape[0])
    for fit_rows, test_rows in folds.split(matrix, labels):
        booster = xgb.train(params, xgb.DMatrix(matrix[fit_rows], label=labels[fit_rows]), 100)
        scores[test_rows] = booster.predict(xgb.DMatrix(matrix[test_rows]))
        for name, gain in booster.get_score(importance_type="total_gain").items():
            gains[int(name[1:])] += gain  # default feature names are f0, f1, …
    by_source = gains @ grouping
    total = by_source.sum() or 1.0
    order = np.argsort(-by_source)
    return {
        "auc": float(roc_auc_score(labels, scores)),
        "top_features": [
            {"feature": sources[j], "share_of_gain": round(float(by_source[j] / total), 4)}
            for j in order[:5]
            if by_source[j] > 0
        ],
        "training_rows": int(len(training)),
        "recent_rows": int(len(recent)),
    }
