"""Training: XGBoost with stratified cross-validation and early stopping, class-imbalance
weighting, optional monotone constraints, optional hyper-parameter search nested inside the
training folds, probability calibration; a logistic-regression baseline on the same folds.

``fit_model`` trains one model on one set of rows (what a training fold or the final model
sees); ``cross_validate`` runs it on outer folds for honest metrics. Nothing in ``fit_model``
looks at rows outside the ones it is given: encodings, early stopping, the search and the
calibration all use inner folds of those rows.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field

import numpy as np
import xgboost as xgb
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedKFold

from .data import Table, table_take
from .features import FeatureConfigError, FeaturePipeline
from .scorecard import LOGISTIC, Scorecard
from .scoring import ScoringModel

DEFAULT_PARAMS = {
    "max_depth": 3,
    "eta": 0.03,
    "min_child_weight": 3,
    "subsample": 0.8,
    "colsample_bytree": 0.5,
    "lambda": 1.0,
}
ALLOWED_PARAMS = set(DEFAULT_PARAMS) | {"gamma", "alpha", "max_bin", "colsample_bylevel"}


def xgb_device() -> str:
    """CUDA when this XGBoost build supports it and the machine has an NVIDIA device; decided
    without initialising CUDA (worker processes fork, docs/architecture.md)."""
    wanted = os.environ.get("RISK_XGB_DEVICE", "auto")
    if wanted != "auto":
        return wanted
    has_gpu = os.path.exists("/dev/nvidia0")
    return "cuda" if has_gpu and xgb.build_info().get("USE_CUDA") else "cpu"


@dataclass
class TrainingConfig:
    """Everything that decides a training run; stored on the model card."""

    params: dict = field(default_factory=lambda: dict(DEFAULT_PARAMS))
    max_rounds: int = 1000
    # Measured on German credit (evaluate_risk): 100 rounds of patience over 5 inner folds
    # gave steadier round counts than 50 over 3 (mean CV AUC 0.794 vs 0.790 over seeds 0-4).
    early_stopping_rounds: int = 100
    inner_folds: int = 5
    cv_folds: int = 5
    seed: int = 0
    balance_classes: bool = True
    calibration: str = "sigmoid"  # or "none"
    monotone: dict = field(default_factory=dict)  # input column → +1 / -1
    search: list = field(default_factory=list)  # candidate param overrides, searched per fold
    baseline: str = "logistic"  # or "woe_logistic" (optbinning)
    # "scorecard": the final log-odds add the WoE scorecard's logit to the calibrated trees'
    # (equal weights, fixed, recalibrated on inner out-of-fold scores). Measured with
    # evaluate_risk on German credit, seeds 0-4: mean CV AUC 0.8002 against 0.7941 for the
    # trees alone and 0.7950 for the scorecard alone. "none": the trees alone. Monotone
    # constraints turn it off (the card's training.blend says which was used).
    blend: str = "scorecard"
    threads: int = 0  # 0: all cores

    @classmethod
    def from_dict(cls, raw: dict | None) -> TrainingConfig:
        raw = dict(raw or {})
        errors: dict[str, list[str]] = {}
        known = set(cls.__dataclass_fields__)
        for key in sorted(set(raw) - known):
            errors[f"training_config.{key}"] = ["Unknown field."]
        params = {**DEFAULT_PARAMS, **(raw.pop("params", None) or {})}
        for key in sorted(set(params) - ALLOWED_PARAMS):
            errors[f"training_config.params.{key}"] = ["Not a tunable parameter here."]
        for key, value in params.items():
            if not isinstance(value, int | float) or isinstance(value, bool):
                errors[f"training_config.params.{key}"] = ["Must be a number."]
        config = cls(params=params, **{k: v for k, v in raw.items() if k in known})
        ints = ("max_rounds", "early_stopping_rounds", "inner_folds", "cv_folds", "seed")
        for name in ints:
            value = getattr(config, name)
            if (
                not isinstance(value, int)
                or isinstance(value, bool)
                or value < (2 if "folds" in name else 0)
            ):
                errors[f"training_config.{name}"] = ["A non-negative integer (folds: at least 2)."]
        if config.calibration not in ("sigmoid", "none"):
            errors["training_config.calibration"] = ["One of: sigmoid, none."]
        if config.baseline not in ("logistic", "woe_logistic"):
            errors["training_config.baseline"] = ["One of: logistic, woe_logistic."]
        if config.blend not in ("scorecard", "none"):
            errors["training_config.blend"] = ["One of: scorecard, none."]
        if not isinstance(config.monotone, dict) or any(
            v not in (-1, 0, 1) for v in config.monotone.values()
        ):
            errors["training_config.monotone"] = ["An object of column → -1, 0 or 1."]
        if not isinstance(config.search, list) or not all(
            isinstance(c, dict) for c in config.search
        ):
            errors["training_config.search"] = ["A list of parameter objects."]
        if errors:
            raise FeatureConfigError(errors)
        return config

    def as_dict(self) -> dict:
        return {name: getattr(self, name) for name in self.__dataclass_fields__}


def _threads(config: TrainingConfig, rows: int) -> int:
    """All cores for real data; one for small tables, where starting a thread pool for every
    tree costs more than the tree (measured: a 240-row model trained 2x faster)."""
    if config.threads:
        return config.threads
    return 1 if rows < 5000 else (os.cpu_count() or 1)


def _booster_params(config: TrainingConfig, pipeline: FeaturePipeline, y, overrides=None) -> dict:
    params = {
        **config.params,
        **(overrides or {}),
        "objective": "binary:logistic",
        "eval_metric": "auc",
        "tree_method": "hist",
        "device": xgb_device(),
        "seed": config.seed,
        "nthread": _threads(config, len(y)),
    }
    if config.balance_classes:
        positives = max(int(y.sum()), 1)
        params["scale_pos_weight"] = (len(y) - positives) / positives
    if config.monotone:
        # Every transform here is non-decreasing in its input, so the input's direction holds
        # for each derived column (one-hot and encodings of categoricals are left free).
        constraint = []
        for feature in pipeline.outputs:
            numeric = pipeline.kinds[feature.source] == "numeric"
            free = feature.name.endswith("__missing_flag") or not numeric
            constraint.append(0 if free else int(config.monotone.get(feature.source, 0)))
        params["monotone_constraints"] = "(" + ",".join(map(str, constraint)) + ")"
    return params


def _inner_folds(y, config: TrainingConfig):
    """The inner folds: early stopping, the search and both calibrations use the same ones."""
    folds = StratifiedKFold(config.inner_folds, shuffle=True, random_state=config.seed)
    return list(folds.split(np.zeros(len(y)), y))


def _inner_cv(matrix, y, params, config: TrainingConfig):
    """Early stopping on inner folds: the best number of rounds and out-of-fold margins."""
    margins = np.zeros(len(y))
    best_rounds, aucs = [], []
    for fit_rows, val_rows in _inner_folds(y, config):
        threads = params["nthread"]
        train = xgb.DMatrix(matrix[fit_rows], label=y[fit_rows], nthread=threads)
        valid = xgb.DMatrix(matrix[val_rows], label=y[val_rows], nthread=threads)
        booster = xgb.train(
            params,
            train,
            num_boost_round=config.max_rounds,
            evals=[(valid, "valid")],
            early_stopping_rounds=config.early_stopping_rounds,
            verbose_eval=False,
        )
        best = booster.best_iteration + 1
        best_rounds.append(best)
        margins[val_rows] = booster.predict(valid, output_margin=True, iteration_range=(0, best))
        aucs.append(roc_auc_score(y[val_rows], margins[val_rows]))
    return int(round(np.mean(best_rounds))), margins, float(np.mean(aucs))


def _platt(margins: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """Sigmoid calibration: P(default) = 1 / (1 + exp(-(a * margin + b)))."""
    model = LogisticRegression(C=1e6, max_iter=1000).fit(margins.reshape(-1, 1), y)
    return float(model.coef_[0][0]), float(model.intercept_[0])


def fit_model(
    table: Table,
    y: np.ndarray,
    *,
    feature_config: dict,
    kinds: dict[str, str],
    config: TrainingConfig,
    decision: dict,
) -> ScoringModel:
    """Train on these rows only: fitted transforms, (searched) parameters, number of rounds by
    inner early stopping, the booster on all rows, and its calibration."""
    started = time.monotonic()
    pipeline = FeaturePipeline(feature_config, kinds)
    matrix = pipeline.fit_transform(table, y, seed=config.seed)
    candidates = config.search or [{}]
    best = None
    for overrides in candidates:
        params = _booster_params(config, pipeline, y, overrides)
        rounds, margins, auc = _inner_cv(matrix, y, params, config)
        if best is None or auc > best[0]:
            best = (auc, overrides, params, rounds, margins)
    _, overrides, params, rounds, margins = best
    data = xgb.DMatrix(matrix, label=y, nthread=params["nthread"])
    booster = xgb.train(params, data, num_boost_round=rounds)
    calibration = _platt(margins, y) if config.calibration == "sigmoid" else (1.0, 0.0)
    scorecard, scale = None, 0.0
    # Not under monotone constraints: the scorecard's WoE bins do not carry them, and the
    # constraint is the promise a regulator reads on the card.
    if config.blend == "scorecard" and not config.monotone and calibration[0] > 0:
        # f(x) = trees' margin + scorecard logit / a, so that a·f(x) + b is the calibrated trees'
        # logit plus the scorecard's: the equal-weight blend, kept in the margin's units so the
        # explanation (base value + contributions = f(x), P = sigmoid(a'·f(x) + b')) holds.
        columns = pipeline.sources
        scale = 1.0 / calibration[0]
        oof = np.zeros(len(y))
        for fit_rows, val_rows in _inner_folds(y, config):
            inner = Scorecard.fit(
                table_take(table, fit_rows), y[fit_rows], columns=columns, kinds=kinds
            )
            oof[val_rows] = inner.logit(table_take(table, val_rows))
        scorecard = Scorecard.fit(table, y, columns=columns, kinds=kinds)
        calibration = _platt(margins + scale * oof, y)
    model = ScoringModel(
        pipeline=pipeline,
        booster=booster,
        calibration=calibration,
        decision=decision,
        scorecard=scorecard,
        scorecard_scale=scale,
    )
    model.training = {
        "rounds": rounds,
        "params": {k: v for k, v in params.items() if k not in ("nthread",)},
        "searched": overrides,
        "inner_cv_auc": round(best[0], 4),
        "blend": "scorecard" if scorecard is not None else "none",
        "seconds": round(time.monotonic() - started, 2),
    }
    return model


# ---------------------------------------------------------------------------- baseline


def _impute_scale(train: np.ndarray, test: np.ndarray):
    mean = np.nanmean(train, axis=0)
    mean = np.where(np.isnan(mean), 0.0, mean)
    std = np.nanstd(train, axis=0)
    std = np.where((std == 0) | np.isnan(std), 1.0, std)

    def prepare(matrix):
        filled = np.where(np.isnan(matrix), mean, matrix)
        return (filled - mean) / std

    return prepare(train), prepare(test)


def baseline_fold(kind, table, y, train_rows, test_rows, *, feature_config, kinds, seed):
    """Logistic regression on the same fold: on the pipeline's features, or on optimal-binning
    weight-of-evidence features (the classic scorecard)."""
    if kind == "woe_logistic":
        columns = list(feature_config["columns"])
        card = Scorecard.fit(
            table_take(table, train_rows), y[train_rows], columns=columns, kinds=kinds
        )
        return 1.0 / (1.0 + np.exp(-card.logit(table_take(table, test_rows))))
    pipeline = FeaturePipeline(feature_config, kinds)
    train = pipeline.fit_transform(table_take(table, train_rows), y[train_rows], seed=seed)
    test = pipeline.transform(table_take(table, test_rows))
    train, test = _impute_scale(train.astype(float), test.astype(float))
    model = LogisticRegression(**LOGISTIC).fit(train, y[train_rows])
    return model.predict_proba(test)[:, 1]


# ---------------------------------------------------------------------------- cross-validation


@dataclass
class CrossValidation:
    probabilities: np.ndarray  # out-of-fold, calibrated
    baseline: np.ndarray  # out-of-fold
    fold_auc: list[float]
    baseline_fold_auc: list[float]
    # The classic scorecard (optimal-binning WoE + logistic) on the same folds, when asked for.
    scorecard_fold_auc: list[float] = field(default_factory=list)

    @property
    def mean_auc(self) -> float:
        return float(np.mean(self.fold_auc))

    @property
    def baseline_mean_auc(self) -> float:
        return float(np.mean(self.baseline_fold_auc))

    @property
    def scorecard_mean_auc(self) -> float | None:
        return float(np.mean(self.scorecard_fold_auc)) if self.scorecard_fold_auc else None


def cross_validate(
    table: Table,
    y: np.ndarray,
    *,
    feature_config: dict,
    kinds: dict[str, str],
    config: TrainingConfig,
    decision: dict,
    progress=None,
    seed: int | None = None,
    scorecard: bool = False,
) -> CrossValidation:
    """Stratified k-fold: the whole ``fit_model`` on each training fold, scored on the held-out
    fold through the same scoring code as production; the baseline on the same folds, and the
    WoE scorecard too with ``scorecard=True`` (evaluate_risk reports it beside the pipeline)."""
    seed = config.seed if seed is None else seed
    folds = StratifiedKFold(config.cv_folds, shuffle=True, random_state=seed)
    probabilities = np.zeros(len(y))
    baseline = np.zeros(len(y))
    fold_auc, baseline_auc, scorecard_auc = [], [], []
    for index, (train_rows, test_rows) in enumerate(folds.split(np.zeros(len(y)), y)):
        model = fit_model(
            table_take(table, train_rows),
            y[train_rows],
            feature_config=feature_config,
            kinds=kinds,
            config=config,
            decision=decision,
        )
        scored = model.score(table_take(table, test_rows), explain=False)
        probabilities[test_rows] = scored.probability
        fold_auc.append(float(roc_auc_score(y[test_rows], scored.probability)))

        def logistic(kind, train_rows=train_rows, test_rows=test_rows):
            return baseline_fold(
                kind,
                table,
                y,
                train_rows,
                test_rows,
                feature_config=feature_config,
                kinds=kinds,
                seed=seed,
            )

        baseline[test_rows] = logistic(config.baseline)
        baseline_auc.append(float(roc_auc_score(y[test_rows], baseline[test_rows])))
        if scorecard:
            scorecard_auc.append(float(roc_auc_score(y[test_rows], logistic("woe_logistic"))))
        if progress:
            progress(index + 1, config.cv_folds)
    return CrossValidation(probabilities, baseline, fold_auc, baseline_auc, scorecard_auc)
