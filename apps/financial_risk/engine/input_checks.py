"""Inputs checked against a model's training schema (issue 22): the range each numeric input
took in training, widened by a tolerance, and the categories each categorical input took.
Pure: the schema is a dict of the model card (``input_schema``), written at training."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

NUMERIC, CATEGORICAL = "numeric", "categorical"


def training_input_schema(table: dict, kinds: dict[str, str]) -> dict:
    """Per input column: ``{"kind": "numeric", "min", "max"}`` over the finite training values,
    or ``{"kind": "categorical", "categories": [...]}`` (every value seen, sorted)."""
    schema = {}
    for column, kind in kinds.items():
        values = table[column]
        if kind == NUMERIC:
            finite = np.asarray(values, dtype=np.float64)
            finite = finite[np.isfinite(finite)]
            schema[column] = {
                "kind": NUMERIC,
                "min": float(finite.min()) if finite.size else None,
                "max": float(finite.max()) if finite.size else None,
            }
        else:
            seen = {str(v) for v in values if v is not None}
            schema[column] = {"kind": CATEGORICAL, "categories": sorted(seen)}
    return schema


def out_of_distribution(
    applicant: dict, input_schema: dict, *, tolerance: float, per_feature: dict | None = None
) -> dict[str, list[str]]:
    """Each input outside what training saw, with why: a number beyond the training range,
    each bound widened by ``tolerance`` times its own size (``per_feature`` overrides it by
    column), or a category never seen in training. Missing values (None) are not checked."""
    per_feature = per_feature or {}
    reasons: dict[str, list[str]] = {}
    for column, value in applicant.items():
        spec = input_schema.get(column)
        if spec is None or value is None:
            continue
        if spec["kind"] == NUMERIC:
            low, high = spec.get("min"), spec.get("max")
            if low is None or high is None or not isinstance(value, int | float):
                continue
            share = float(per_feature.get(column, tolerance))
            # Widened by a share of each bound's own size, not of the range: an amount never
            # below 250 in training accepts 225, never -5 (a share of an 18,000 range would).
            lower, upper = low - share * abs(low), high + share * abs(high)
            if not math.isfinite(value) or value < lower or value > upper:
                reasons[column] = [
                    f"{value:g} is outside the range seen in training ({low:g} to {high:g}, "
                    f"accepted {lower:g} to {upper:g})."
                ]
        elif str(value) not in spec["categories"]:
            shown = ", ".join(spec["categories"][:20])
            more = "…" if len(spec["categories"]) > 20 else ""
            reasons[column] = [f"{value!r} is not a category seen in training ({shown}{more})."]
    return reasons


def table_out_of_distribution(
    table: dict, input_schema: dict, *, tolerance: float, per_feature: dict | None = None
) -> dict[str, tuple[np.ndarray, str]]:
    """The rows of a whole table outside what training saw, the same rules as
    ``out_of_distribution`` a column at a time: per column, a boolean mask of those rows and
    why, in words. Missing values are not checked."""
    per_feature = per_feature or {}
    found: dict[str, tuple[np.ndarray, str]] = {}
    for column, spec in input_schema.items():
        if column not in table:
            continue
        if spec["kind"] == NUMERIC:
            low, high = spec.get("min"), spec.get("max")
            if low is None or high is None:
                continue
            share = float(per_feature.get(column, tolerance))
            lower, upper = low - share * abs(low), high + share * abs(high)
            values = np.asarray(table[column], dtype=np.float64)
            with np.errstate(invalid="ignore"):
                mask = np.isinf(values) | (values < lower) | (values > upper)
            why = (
                f"outside the range seen in training ({low:g} to {high:g}, accepted {lower:g} "
                f"to {upper:g})"
            )
        else:
            values = pd.Series(table[column], dtype=object)
            mask = (values.notna() & ~values.astype(str).isin(spec["categories"])).to_numpy()
            shown = ", ".join(spec["categories"][:20])
            more = "…" if len(spec["categories"]) > 20 else ""
            why = f"not a category seen in training ({shown}{more})"
        if mask.any():
            found[column] = (mask, why)
    return found
