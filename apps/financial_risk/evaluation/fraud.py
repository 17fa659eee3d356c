"""``evaluate_fraud``'s measurement (no Django here): a variant stream the features were not
designed on, rings detected from its first weeks only, the declared features, and the
time-split fit of the behavioural model against the baseline on the payment's own fields.

Sets: the reported stream is ``VARIANTS`` drawn with seed 101 (by default), a seed nobody
looked at while writing the features, the patterns or the generator's honest look-alikes
(development used ``TRAINING`` seeds 3 and 4 and ``VARIANTS`` seeds 5, 9 and 23). Nothing is
tuned on the reported slice: boosting stops and thresholds are placed on the slice before it.
"""

from __future__ import annotations

from collections import Counter

import numpy as np
import xgboost as xgb

from apps.financial_risk.engine.fraud_features import NAMES, offline_features
from apps.financial_risk.engine.fraud_training import (
    figures,
    fit,
    fit_pair,
    recall_at_fpr,
    ring_snapshot,
)
from apps.financial_risk.evaluation.fraud_stream import DAY_MS, START_MS, Stream
from apps.financial_risk.evaluation.fraud_synthetic import TRAINING, VARIANTS, synthetic_stream

RING_WEEKS = 3  # rings are detected once, from the first three weeks, and count from then on


def ring_inputs(stream: Stream) -> tuple[np.ndarray, np.ndarray, int]:
    cut = START_MS + RING_WEEKS * 7 * DAY_MS
    early = stream.ts_ms < cut
    rings = ring_snapshot(
        stream.account[early], stream.device[early], stream.ip[early], stream.card[early],
        stream.is_fraud[early],
    )  # fmt: skip
    score = np.array([rings.get(a, 0.0) for a in stream.account])
    detected = np.where(score > 0, cut, np.iinfo(np.int64).max).astype(np.int64)
    return score, detected, len(set(rings))


def features_of(stream: Stream) -> tuple[np.ndarray, int]:
    score, detected, ringed = ring_inputs(stream)
    return offline_features(stream.history(score, detected)), ringed


def evaluate(*, seed: int = 101, accounts: int = 1500, weeks: int = 8, say=print) -> dict:
    stream = synthetic_stream(patterns=VARIANTS, accounts=accounts, weeks=weeks, seed=seed)
    say(f"variant stream: {len(stream)} transactions, {int(stream.is_fraud.sum())} fraud")
    X, ringed = features_of(stream)
    model, baseline = fit_pair(X, stream.is_fraud, stream.ts_ms)
    test = stream.ts_ms >= model.figures["cutoffs_ms"][1]
    y_test = stream.is_fraud[test]
    p_test = model.booster.predict(xgb.DMatrix(X[test], feature_names=NAMES))
    honest = np.sort(p_test[~y_test])
    at_1pct = honest[min(len(honest) - 1, int(np.ceil(len(honest) * 0.99)))]
    caught = Counter(stream.pattern[test][y_test & (p_test > at_1pct)])
    planted = Counter(stream.pattern[test][y_test])
    say(f"behavioural: {model.figures}")
    say(f"baseline:    {baseline.figures}")
    # Transfer: trained on the patterns the features were designed on, judged on the variants.
    source = synthetic_stream(patterns=TRAINING, accounts=accounts, weeks=weeks, seed=seed + 1000)
    X_source, _ = features_of(source)
    transfer = fit(X_source, source.is_fraud, source.ts_ms)
    p_transfer = transfer.booster.predict(xgb.DMatrix(X[test], feature_names=NAMES))
    transfer_figures = figures(y_test, p_transfer)
    say(f"trained on TRAINING patterns, judged on the variants: {transfer_figures}")
    return {
        "fraud_pr_auc": model.figures["pr_auc"],
        "fraud_recall_at_1pct_fpr": model.figures["recall_at_1pct_fpr"],
        "baseline_pr_auc": baseline.figures["pr_auc"],
        "baseline_recall_at_1pct_fpr": baseline.figures["recall_at_1pct_fpr"],
        "transfer_pr_auc": transfer_figures["pr_auc"],
        "transfer_recall_at_1pct_fpr": round(recall_at_fpr(y_test, p_transfer), 4),
        "recall_at_1pct_fpr_by_pattern": {
            k: round(caught.get(k, 0) / v, 3) for k, v in sorted(planted.items())
        },
        "test_rows": int(test.sum()),
        "test_fraud_rows": int(y_test.sum()),
        "rows": len(stream),
        "rings_detected_accounts": ringed,
        "seed": seed,
        "accounts": accounts,
        "weeks": weeks,
        "patterns": VARIANTS.name,
        "split": "time: first 60% trains, next 20% stops boosting and sets thresholds, "
        "last 20% is measured",
    }
