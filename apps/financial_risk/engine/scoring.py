"""Scoring: probability of default, scorecard points, approve/refer/decline, and reason codes
from SHAP values in log-odds space.

SHAP values come from XGBoost's own TreeSHAP (``pred_contribs``), which for XGBoost 3.0 equals
``shap.TreeExplainer`` exactly (docs/toolchain.md; a test checks it). They are in the
booster's margin (log-odds of default); a positive value pushed the applicant toward decline.
Values of one input column's derived features (its one-hot columns, its log…) are summed:
SHAP values are additive, so the sum is that column's contribution.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field

import numpy as np
import xgboost as xgb

from .data import Table
from .features import FeatureConfigError, FeaturePipeline
from .scorecard import Scorecard

DEFAULT_DECISION = {
    # P(default) below approve_below: approve; at or above decline_at: decline; else refer.
    "approve_below": 0.3,
    "decline_at": 0.5,
    # Scorecard scaling: base_score points at odds base_odds:1 (good:bad), and every
    # points_to_double_odds more points double the odds of being good.
    "base_score": 600.0,
    "base_odds": 50.0,
    "points_to_double_odds": 20.0,
    "reasons": 4,
}
OUTCOMES = ("approve", "refer", "decline")


def validate_decision_config(raw: dict | None) -> dict:
    config = {**DEFAULT_DECISION, **(raw or {})}
    errors: dict[str, list[str]] = {}
    for key in sorted(set(config) - set(DEFAULT_DECISION)):
        errors[f"decision_config.{key}"] = ["Unknown field."]
    for key in DEFAULT_DECISION:
        value = config.get(key)
        if not isinstance(value, int | float) or isinstance(value, bool):
            errors[f"decision_config.{key}"] = ["Must be a number."]
    if not errors:
        if not 0 < config["approve_below"] <= config["decline_at"] <= 1:
            errors["decision_config.approve_below"] = ["Need 0 < approve_below <= decline_at <= 1."]
        if config["base_odds"] <= 0 or config["points_to_double_odds"] <= 0:
            errors["decision_config.base_odds"] = ["base_odds and points_to_double_odds > 0."]
        if not 0 <= config["reasons"] <= 20:
            errors["decision_config.reasons"] = ["From 0 to 20."]
    if errors:
        raise FeatureConfigError(errors)
    config["reasons"] = int(config["reasons"])
    return config


@dataclass
class ScoreResult:
    margin: np.ndarray  # f(x): the booster's log-odds of default, plus the blended scorecard
    probability: np.ndarray  # calibrated P(default)
    points: np.ndarray
    outcome: np.ndarray  # index into OUTCOMES
    contributions: np.ndarray | None = None  # rows × input columns, log-odds
    base_value: float = 0.0
    top: np.ndarray | None = None  # rows × k indices of input columns, most adverse first


@dataclass
class ScoringModel:
    pipeline: FeaturePipeline
    booster: xgb.Booster
    calibration: tuple[float, float]  # P = sigmoid(a * margin + b)
    decision: dict
    # The blended WoE scorecard (training.fit_model): f(x) = trees' margin + scale · its logit.
    scorecard: Scorecard | None = None
    scorecard_scale: float = 0.0
    training: dict = field(default_factory=dict)
    _grouping: np.ndarray | None = None
    _scorecard_columns: np.ndarray | None = None

    # ------------------------------------------------------------------ persistence
    def state(self) -> dict:
        """JSON-safe state (the booster travels separately as bytes)."""
        state = {
            "pipeline": self.pipeline.to_dict(),
            "calibration": list(self.calibration),
            "decision": self.decision,
        }
        if self.scorecard is not None:
            state["scorecard"] = self.scorecard.to_dict()
            state["scorecard_scale"] = self.scorecard_scale
        return state

    def booster_bytes(self) -> bytes:
        return bytes(self.booster.save_raw("ubj"))

    @classmethod
    def load(cls, state: dict, booster_bytes: bytes, *, threads: int | None = None):
        booster = xgb.Booster()
        booster.load_model(bytearray(booster_bytes))
        booster.set_param({"nthread": threads or os.cpu_count() or 1})
        card = state.get("scorecard")  # absent in versions trained before the blend
        return cls(
            pipeline=FeaturePipeline.from_dict(state["pipeline"]),
            booster=booster,
            calibration=tuple(state["calibration"]),
            decision=state["decision"],
            scorecard=Scorecard.from_dict(card) if card else None,
            scorecard_scale=float(state.get("scorecard_scale", 0.0)),
        )

    # ------------------------------------------------------------------ scoring
    @property
    def grouping(self) -> np.ndarray:
        if self._grouping is None:
            self._grouping = self.pipeline.source_matrix()
        return self._grouping

    @property
    def scorecard_columns(self) -> np.ndarray:
        """Where each scorecard column sits among the pipeline's input columns."""
        if self._scorecard_columns is None:
            sources = self.pipeline.sources
            self._scorecard_columns = np.array(
                [sources.index(c) for c in self.scorecard.columns], dtype=int
            )
        return self._scorecard_columns

    def matrix(self, table: Table) -> xgb.DMatrix:
        features = self.pipeline.transform(table)
        # XGBoost starts a thread pool per DMatrix by default: 4 ms for one applicant, 0.2 ms
        # on one thread (measured here). Large batches use every core.
        threads = 1 if len(features) < 1000 else -1
        return xgb.DMatrix(features, feature_names=self.pipeline.feature_names, nthread=threads)

    def score(self, table: Table, *, explain: bool = True, dmatrix=None) -> ScoreResult:
        data = dmatrix if dmatrix is not None else self.matrix(table)
        contribs = None
        if explain:
            # SHAP values add up to the margin (plus the bias column): one TreeSHAP pass gives
            # both, so explaining costs no second prediction.
            contribs = self.booster.predict(data, pred_contribs=True)
            margin = contribs.sum(axis=1, dtype=np.float64)
        else:
            margin = self.booster.predict(data, output_margin=True).astype(np.float64)
        blended = None
        if self.scorecard is not None:
            # The scorecard's part in the margin's units: exact per-column contributions
            # (centred WoE times coefficient) around its expected logit.
            blended = self.scorecard_scale * self.scorecard.contributions(table)
            margin = margin + self.scorecard_scale * self.scorecard.expected + blended.sum(axis=1)
        a, b = self.calibration
        logit = a * margin + b
        probability = 1.0 / (1.0 + np.exp(-logit))
        d = self.decision
        factor = d["points_to_double_odds"] / math.log(2)
        offset = d["base_score"] - factor * math.log(d["base_odds"])
        # ln(odds of good) = -logit(P(default))
        points = np.round(offset - factor * logit, 1)
        outcome = np.where(
            probability < d["approve_below"], 0, np.where(probability >= d["decline_at"], 2, 1)
        )
        result = ScoreResult(margin, probability, points, outcome)
        if contribs is not None:
            result.base_value = float(contribs[0, -1]) if len(contribs) else 0.0
            result.contributions = contribs[:, :-1].astype(np.float64) @ self.grouping
            if blended is not None:
                result.base_value += self.scorecard_scale * self.scorecard.expected
                result.contributions[:, self.scorecard_columns] += blended
            k = min(d["reasons"], result.contributions.shape[1])
            if k:
                part = np.argpartition(-result.contributions, k - 1, axis=1)[:, :k]
                order = np.argsort(-np.take_along_axis(result.contributions, part, axis=1), axis=1)
                result.top = np.take_along_axis(part, order, axis=1)
        return result

    def reasons_for_row(self, result: ScoreResult, row: int, table: Table) -> list[dict]:
        """The top reason codes of one row: only columns that pushed toward decline."""
        if result.top is None:
            return []
        sources = self.pipeline.sources
        reasons = []
        for j in result.top[row]:
            value = float(result.contributions[row, j])
            if value <= 0:
                break
            column = sources[j]
            raw = table[column][row]
            if isinstance(raw, float | np.floating):
                raw = (
                    None
                    if math.isnan(raw)
                    else (int(raw) if float(raw).is_integer() else float(raw))
                )
            reasons.append(
                {
                    "feature": column,
                    "phrase": self.pipeline.readable(column),
                    "value": raw,
                    "contribution": round(value, 4),
                }
            )
        return reasons
