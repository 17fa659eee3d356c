"""Feature engineering declared as configuration and fitted once; the fitted state is plain JSON
stored with the model version, so scoring applies exactly the transforms fitted in training.

Configuration (``FeatureConfig``)::

    {"columns": {"credit_amount": ["raw", "log1p", "missing_flag", "quantile_bins"],
                 "purpose": ["one_hot"], "shop_id": ["frequency", "target"]},
     "quantile_bins": 5, "one_hot_max_categories": 15,
     "target_encoding": {"folds": 5, "smoothing": 20.0},
     "include_protected": false,
     "reason_phrases": {"credit_amount": {"en": "a credit amount of {value} DM",
                                          "zh": "贷款金额 {value} 马克"}}}

Numeric transforms: raw, log1p, sqrt (both sign-preserving), missing_flag, quantile_bins.
Categorical: one_hot (the most frequent categories up to the limit), frequency, target (mean
of the target smoothed toward the prior, fitted out-of-fold on training rows so that no row's
own label leaks into its encoding). Reason phrases (English and Chinese, with the applicant's
value): ``reason_phrases``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.model_selection import StratifiedKFold

from .data import CATEGORICAL, NUMERIC, Schema, Table
from .reason_phrases import label, validate_reason_phrases

NUMERIC_TRANSFORMS = ("raw", "log1p", "sqrt", "missing_flag", "quantile_bins")
CATEGORICAL_TRANSFORMS = ("one_hot", "frequency", "target")
DEFAULT_ONE_HOT_MAX = 15
DEFAULT_BINS = 5
DEFAULT_TE = {"folds": 5, "smoothing": 20.0}

PROTECTED_WARNING = (
    "Protected attributes are used as model features ({columns}): decisions may depend on "
    "them directly; check the fairness section and the applicable law before use."
)


class FeatureConfigError(ValueError):
    def __init__(self, errors: dict[str, list[str]]):
        self.errors = errors
        super().__init__("; ".join(f"{k}: {' '.join(v)}" for k, v in errors.items()))


def _safe(name: str) -> str:
    """XGBoost refuses feature names with ``[``, ``]`` or ``<``: keep only safe characters."""
    return re.sub(r"[^A-Za-z0-9_]", "_", name)


def default_feature_config(schema: Schema, table: Table | None = None) -> dict:
    """The default pipeline: raw and log1p for numeric columns (log1p only where values are
    non-negative), a missing flag where training data has gaps; one-hot for low-cardinality
    categoricals, frequency and out-of-fold target encoding above the limit. Protected
    attributes are left out."""
    columns: dict[str, list[str]] = {}
    for name in schema.features:
        if name in schema.protected:
            continue
        values = None if table is None else table.get(name)
        if schema.kind(name) == NUMERIC:
            transforms = ["raw"]
            if values is None or np.nanmin(values) >= 0:
                transforms.append("log1p")
            if values is not None and np.isnan(values).any():
                transforms.append("missing_flag")
        else:
            cardinality = 0 if values is None else len(set(values.tolist()))
            transforms = (
                ["one_hot"] if cardinality <= DEFAULT_ONE_HOT_MAX else ["frequency", "target"]
            )
        columns[name] = transforms
    return {
        "columns": columns,
        "quantile_bins": DEFAULT_BINS,
        "one_hot_max_categories": DEFAULT_ONE_HOT_MAX,
        "target_encoding": dict(DEFAULT_TE),
        "include_protected": False,
    }


def validate_feature_config(config: dict, schema: Schema) -> tuple[dict, list[str]]:
    """Check ``config`` against the schema; returns it with defaults filled and the warnings
    for the model card. Protected columns are dropped unless ``include_protected`` is true."""
    errors: dict[str, list[str]] = {}
    warnings: list[str] = []
    if not isinstance(config, dict) or not isinstance(config.get("columns"), dict):
        raise FeatureConfigError({"feature_config.columns": ["Must be an object."]})
    allowed = {
        "columns",
        "quantile_bins",
        "one_hot_max_categories",
        "target_encoding",
        "include_protected",
        "reason_phrases",
    }
    for key in sorted(set(config) - allowed):
        errors[f"feature_config.{key}"] = ["Unknown field."]
    include_protected = bool(config.get("include_protected", False))
    columns: dict[str, list[str]] = {}
    for name, transforms in config["columns"].items():
        field = f"feature_config.columns.{name}"
        kind = schema.columns.get(name)
        if kind not in (NUMERIC, CATEGORICAL):
            errors[field] = ["Not a numeric or categorical column of the dataset's schema."]
            continue
        allowed_transforms = NUMERIC_TRANSFORMS if kind == NUMERIC else CATEGORICAL_TRANSFORMS
        if not isinstance(transforms, list) or not transforms:
            errors[field] = ["Must be a non-empty list of transforms."]
            continue
        wrong = [t for t in transforms if t not in allowed_transforms]
        if wrong:
            errors[field] = [
                f"Unknown {kind} transform(s) {wrong}; allowed: {', '.join(allowed_transforms)}."
            ]
            continue
        if name in schema.protected and not include_protected:
            continue  # excluded by default; reported on the card below
        columns[name] = list(dict.fromkeys(transforms))
    bins = config.get("quantile_bins", DEFAULT_BINS)
    if not isinstance(bins, int) or not 2 <= bins <= 100:
        errors["feature_config.quantile_bins"] = ["An integer from 2 to 100."]
    one_hot_max = config.get("one_hot_max_categories", DEFAULT_ONE_HOT_MAX)
    if not isinstance(one_hot_max, int) or not 1 <= one_hot_max <= 200:
        errors["feature_config.one_hot_max_categories"] = ["An integer from 1 to 200."]
    te = {**DEFAULT_TE, **(config.get("target_encoding") or {})}
    if not isinstance(te.get("folds"), int) or te["folds"] < 2:
        errors["feature_config.target_encoding.folds"] = ["An integer of at least 2."]
    if not isinstance(te.get("smoothing"), int | float) or te["smoothing"] < 0:
        errors["feature_config.target_encoding.smoothing"] = ["A non-negative number."]
    if not columns and not errors:
        errors["feature_config.columns"] = ["No feature column is left."]
    phrases, phrase_errors = validate_reason_phrases(
        config.get("reason_phrases"), set(config["columns"])
    )
    errors.update(phrase_errors)
    if errors:
        raise FeatureConfigError(errors)
    used_protected = [name for name in columns if name in schema.protected]
    if used_protected:
        warnings.append(PROTECTED_WARNING.format(columns=", ".join(used_protected)))
    dropped = [n for n in schema.protected if n not in columns]
    if dropped:
        warnings.append(f"Protected attributes excluded from the features: {', '.join(dropped)}.")
    cleaned = {
        "columns": columns,
        "quantile_bins": bins,
        "one_hot_max_categories": one_hot_max,
        "target_encoding": {"folds": te["folds"], "smoothing": float(te["smoothing"])},
        "include_protected": include_protected,
        "reason_phrases": phrases,
    }
    return cleaned, warnings


@dataclass
class OutputFeature:
    name: str  # safe for XGBoost
    source: str  # the input column it derives from
    label: str  # readable


class FeaturePipeline:
    """Fitted transforms. ``fit_transform`` on training rows, ``transform`` everywhere else;
    ``to_dict``/``from_dict`` round-trip the fitted state through JSON."""

    def __init__(self, config: dict, kinds: dict[str, str], state: dict | None = None):
        self.config = config
        self.kinds = kinds  # input column → numeric/categorical
        self.state: dict[str, dict] = state or {}
        self.outputs: list[OutputFeature] = []
        if state is not None:
            self._build_outputs()

    # ------------------------------------------------------------------ fitting
    def fit_transform(self, table: Table, y: np.ndarray, *, seed: int = 0) -> np.ndarray:
        self.state = {}
        for name, transforms in self.config["columns"].items():
            self.state[name] = self._fit_column(name, table[name], y, transforms)
        self._build_outputs()
        matrix = self.transform(table)
        self._out_of_fold_target_encoding(table, y, matrix, seed)
        return matrix

    def _fit_column(self, name, values, y, transforms) -> dict:
        state: dict = {}
        if self.kinds[name] == NUMERIC:
            if "quantile_bins" in transforms:
                finite = values[~np.isnan(values)]
                qs = np.linspace(0, 1, self.config["quantile_bins"] + 1)[1:-1]
                edges = np.unique(np.quantile(finite, qs)) if finite.size else np.array([])
                state["edges"] = [float(e) for e in edges]
            return state
        keys = np.array(["" if v is None else v for v in values], dtype=object)
        categories, counts = np.unique(keys, return_counts=True)
        order = np.argsort(-counts, kind="stable")
        if "one_hot" in transforms:
            limit = self.config["one_hot_max_categories"]
            state["one_hot"] = [str(categories[i]) for i in order[:limit]]
        if "frequency" in transforms:
            state["frequency"] = {
                str(c): float(n) / len(keys) for c, n in zip(categories, counts, strict=True)
            }
        if "target" in transforms:
            state["target"] = self._target_map(keys, y)
        return state

    def _target_map(self, keys: np.ndarray, y: np.ndarray) -> dict:
        smoothing = self.config["target_encoding"]["smoothing"]
        prior = float(y.mean())
        categories, inverse = np.unique(keys, return_inverse=True)
        sums = np.bincount(inverse, weights=y.astype(float), minlength=len(categories))
        counts = np.bincount(inverse, minlength=len(categories))
        smoothed = (sums + prior * smoothing) / (counts + smoothing)
        return {
            "prior": prior,
            "map": {str(c): float(v) for c, v in zip(categories, smoothed, strict=True)},
        }

    def _out_of_fold_target_encoding(self, table, y, matrix, seed) -> None:
        """Replace the training rows' target encodings by out-of-fold ones: each row is encoded
        with statistics from the other folds only (the stored map, fitted on all rows, is what
        scoring uses)."""
        targets = [n for n, s in self.state.items() if "target" in s]
        if not targets:
            return
        folds = StratifiedKFold(
            n_splits=self.config["target_encoding"]["folds"], shuffle=True, random_state=seed
        )
        columns = {f.name: i for i, f in enumerate(self.outputs)}
        for name in targets:
            keys = np.array(["" if v is None else v for v in table[name]], dtype=object)
            out = columns[f"{_safe(name)}__target"]
            for fit_rows, encode_rows in folds.split(keys, y):
                fold_map = self._target_map(keys[fit_rows], y[fit_rows])
                lookup, prior = fold_map["map"], fold_map["prior"]
                matrix[encode_rows, out] = [lookup.get(k, prior) for k in keys[encode_rows]]

    # ------------------------------------------------------------------ applying
    def _build_outputs(self) -> None:
        outputs = []
        for name, transforms in self.config["columns"].items():
            safe, state = _safe(name), self.state[name]
            for transform in transforms:
                if transform == "one_hot":
                    for index, category in enumerate(state["one_hot"]):
                        outputs.append(
                            OutputFeature(f"{safe}__is_{index}", name, f"{name} = {category}")
                        )
                else:
                    label = name if transform == "raw" else f"{name} ({transform})"
                    outputs.append(OutputFeature(f"{safe}__{transform}", name, label))
        self.outputs = outputs

    @property
    def feature_names(self) -> list[str]:
        return [f.name for f in self.outputs]

    @property
    def sources(self) -> list[str]:
        """Input columns in the order of the configuration (one reason code per column)."""
        return list(self.config["columns"])

    def source_matrix(self) -> np.ndarray:
        """(output features × input columns) 0/1 matrix: grouping SHAP values by input column
        is one matrix product (SHAP values are additive)."""
        sources = {name: j for j, name in enumerate(self.sources)}
        grouping = np.zeros((len(self.outputs), len(sources)), dtype=np.float64)
        for i, feature in enumerate(self.outputs):
            grouping[i, sources[feature.source]] = 1.0
        return grouping

    def transform(self, table: Table) -> np.ndarray:
        rows = len(next(iter(table.values())))
        matrix = np.empty((rows, len(self.outputs)), dtype=np.float32)
        col = 0
        for name, transforms in self.config["columns"].items():
            values, state = table[name], self.state[name]
            if self.kinds[name] == NUMERIC:
                values = np.asarray(values, dtype=np.float64)
                for transform in transforms:
                    matrix[:, col] = _numeric(transform, values, state)
                    col += 1
                continue
            # Each distinct category is looked up once (pandas' hash factorisation), then
            # broadcast to the rows: 100,000 rows cost a handful of dictionary lookups.
            codes, uniques = pd.factorize(np.asarray(values, dtype=object))
            keys = ["" if v is None else v for v in uniques] + [""]  # the last: missing
            codes = np.where(codes < 0, len(uniques), codes)

            def per_row(lookup, default, dtype, keys=keys, codes=codes):
                return np.array([lookup.get(k, default) for k in keys], dtype=dtype)[codes]

            for transform in transforms:
                if transform == "one_hot":
                    width = len(state["one_hot"])
                    index = {c: i for i, c in enumerate(state["one_hot"])}
                    block = np.zeros((rows, width), dtype=np.float32)
                    hits = per_row(index, -1, np.int64)
                    found = hits >= 0
                    block[np.flatnonzero(found), hits[found]] = 1.0
                    matrix[:, col : col + width] = block
                    col += width
                elif transform == "frequency":
                    matrix[:, col] = per_row(state["frequency"], 0.0, np.float64)
                    col += 1
                else:  # target
                    target = state["target"]
                    matrix[:, col] = per_row(target["map"], target["prior"], np.float64)
                    col += 1
        return matrix

    # ------------------------------------------------------------------ persistence
    def to_dict(self) -> dict:
        # The column order decides the booster's feature order, and PostgreSQL's jsonb does
        # not keep the order of object keys: it is stored as a list, with the output names.
        return {
            "config": self.config,
            "column_order": list(self.config["columns"]),
            "feature_names": self.feature_names,
            "kinds": self.kinds,
            "state": self.state,
        }

    @classmethod
    def from_dict(cls, data: dict) -> FeaturePipeline:
        config = dict(data["config"])
        config["columns"] = {name: config["columns"][name] for name in data["column_order"]}
        pipeline = cls(config, data["kinds"], data["state"])
        if pipeline.feature_names != data["feature_names"]:
            raise ValueError("stored feature pipeline does not rebuild its own feature names")
        return pipeline

    def readable(self, source: str) -> str:
        """The column's English phrase without a value (``engine.reason_phrases``)."""
        return label(self.config.get("reason_phrases") or {}, source)


def _numeric(transform: str, values: np.ndarray, state: dict) -> np.ndarray:
    if transform == "raw":
        return values
    if transform == "log1p":
        return np.sign(values) * np.log1p(np.abs(values))
    if transform == "sqrt":
        return np.sign(values) * np.sqrt(np.abs(values))
    if transform == "missing_flag":
        return np.isnan(values).astype(np.float64)
    # quantile_bins: the bin index; a missing value stays missing (XGBoost learns its branch)
    binned = np.searchsorted(np.asarray(state["edges"]), values, side="right").astype(np.float64)
    binned[np.isnan(values)] = np.nan
    return binned


def pipeline_for(config: dict, schema: Schema) -> FeaturePipeline:
    kinds = {name: schema.kind(name) for name in config["columns"]}
    return FeaturePipeline(config, kinds)
