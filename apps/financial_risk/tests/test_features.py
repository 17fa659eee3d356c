"""Feature engineering: out-of-fold target encoding, identical transforms between training and
scoring, the declared transforms, schema validation naming column and row."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from apps.financial_risk.engine.data import (
    Schema,
    SchemaError,
    german_credit,
    table_from_frame,
    table_take,
    target_vector,
    validate_applicant,
)
from apps.financial_risk.engine.features import (
    FeatureConfigError,
    FeaturePipeline,
    default_feature_config,
    validate_feature_config,
)

NOISE_SCHEMA = Schema(columns={"shop": "categorical", "y": "target"}, positive="1")


def _noise_table(rows=2000, categories=800, seed=0):
    """A high-cardinality category with no relation whatsoever to the target."""
    rng = np.random.default_rng(seed)
    shop = np.array([f"shop-{i}" for i in rng.integers(0, categories, rows)], dtype=object)
    y = rng.integers(0, 2, rows).astype(np.int8)
    return {"shop": shop}, y


def _target_encoding_auc(*, out_of_fold: bool) -> float:
    """AUC of the target-encoded training column against the training labels."""
    table, y = _noise_table()
    config = {
        "columns": {"shop": ["target"]},
        "target_encoding": {"folds": 5, "smoothing": 1.0},
        "quantile_bins": 5,
        "one_hot_max_categories": 15,
        "include_protected": False,
    }
    pipeline = FeaturePipeline(config, {"shop": "categorical"})
    if out_of_fold:
        encoded = pipeline.fit_transform(table, y, seed=0)
    else:  # what a leaky implementation does: fit on all rows, then encode those same rows
        pipeline.fit_transform(table, y, seed=0)
        encoded = pipeline.transform(table)
    return roc_auc_score(y, encoded[:, 0])


def test_target_encoding_is_out_of_fold_no_leakage():
    # Pure noise: an honest encoding cannot predict the training labels.
    assert _target_encoding_auc(out_of_fold=True) < 0.56


def test_in_fold_target_encoding_would_leak_and_fail_the_test_above():
    # The same check with in-fold encoding: each row sees its own label, AUC soars. This is
    # the failure the previous test guards against.
    assert _target_encoding_auc(out_of_fold=False) > 0.75


def test_scoring_uses_the_encoding_fitted_on_all_training_rows():
    table, y = _noise_table(rows=300, categories=5)
    config, _ = validate_feature_config(
        {"columns": {"shop": ["target", "frequency"]}}, NOISE_SCHEMA
    )
    pipeline = FeaturePipeline(config, {"shop": "categorical"})
    pipeline.fit_transform(table, y)
    encoded = pipeline.transform({"shop": np.array(["shop-1", "never-seen"], dtype=object)})
    state = pipeline.state["shop"]["target"]
    assert encoded[0, 0] == pytest.approx(state["map"]["shop-1"], rel=1e-6)
    assert encoded[1, 0] == pytest.approx(state["prior"], rel=1e-6)  # unknown → prior
    assert encoded[1, 1] == 0.0  # unknown category: frequency 0


@pytest.fixture(scope="module")
def german():
    frame, schema, _ = german_credit()
    table = table_from_frame(frame, schema, require_target=True)
    return table, schema, target_vector(table, schema)


def test_identical_transforms_between_training_and_scoring(german):
    table, schema, y = german
    config = {
        "columns": {
            "credit_amount": ["raw", "log1p", "sqrt", "missing_flag", "quantile_bins"],
            "duration_in_month": ["raw", "quantile_bins"],
            "purpose": ["one_hot", "frequency"],
            "housing": ["one_hot"],
        },
        "quantile_bins": 4,
    }
    config, _ = validate_feature_config(config, schema)
    kinds = {n: schema.kind(n) for n in config["columns"]}
    fitted = FeaturePipeline(config, kinds)
    training_matrix = fitted.fit_transform(table, y)
    # Through JSON and back, as stored on the model version and loaded by a worker.
    stored = json.loads(json.dumps(fitted.to_dict()))
    # PostgreSQL's jsonb reorders object keys (shorter keys first): order must not matter.
    stored["config"]["columns"] = dict(reversed(list(stored["config"]["columns"].items())))
    loaded = FeaturePipeline.from_dict(stored)
    assert loaded.feature_names == fitted.feature_names
    np.testing.assert_array_equal(loaded.transform(table), training_matrix)
    # One applicant at a time gives the same rows as the whole table at once.
    for row in (0, 17, 999):
        single = loaded.transform(table_take(table, [row]))
        np.testing.assert_array_equal(single[0], training_matrix[row])


def test_numeric_transforms_and_names(german):
    table, schema, y = german
    config, _ = validate_feature_config(
        {"columns": {"credit_amount": ["log1p", "sqrt", "quantile_bins"]}, "quantile_bins": 4},
        schema,
    )
    pipeline = FeaturePipeline(config, {"credit_amount": "numeric"})
    matrix = pipeline.fit_transform(table, y)
    amount = table["credit_amount"]
    np.testing.assert_allclose(matrix[:, 0], np.log1p(amount), rtol=1e-6)
    np.testing.assert_allclose(matrix[:, 1], np.sqrt(amount), rtol=1e-6)
    assert set(np.unique(matrix[:, 2])) == {0.0, 1.0, 2.0, 3.0}  # four quantile bins
    # XGBoost refuses [, ] and < in names; this data's categories contain them.
    names = FeaturePipeline(
        validate_feature_config(
            {"columns": {"status_of_existing_checking_account": ["one_hot"]}}, schema
        )[0],
        {"status_of_existing_checking_account": "categorical"},
    )
    names.fit_transform(table, y)
    assert all(not set("[]<") & set(n) for n in names.feature_names)


def test_missing_flag_and_missing_values():
    schema = Schema(columns={"x": "numeric", "y": "target"})
    config, _ = validate_feature_config({"columns": {"x": ["raw", "missing_flag"]}}, schema)
    pipeline = FeaturePipeline(config, {"x": "numeric"})
    matrix = pipeline.fit_transform(
        {"x": np.array([1.0, np.nan, 3.0, 4.0])}, np.array([0, 1, 0, 1])
    )
    assert np.isnan(matrix[1, 0]) and matrix[1, 1] == 1.0 and matrix[0, 1] == 0.0


def test_default_config_leaves_protected_attributes_out(german):
    table, schema, _ = german
    config, warnings = validate_feature_config(default_feature_config(schema, table), schema)
    assert not set(schema.protected) & set(config["columns"])
    assert "age_in_years" in warnings[0]
    included, warnings = validate_feature_config(
        {
            "columns": {"age_in_years": ["raw"], "duration_in_month": ["raw"]},
            "include_protected": True,
        },
        schema,
    )
    assert "age_in_years" in included["columns"]
    assert any("Protected attributes are used" in w for w in warnings)


def test_feature_config_errors_name_the_field(german):
    _, schema, _ = german
    with pytest.raises(FeatureConfigError) as caught:
        validate_feature_config({"columns": {"purpose": ["log1p"], "nope": ["raw"]}}, schema)
    assert set(caught.value.errors) == {
        "feature_config.columns.purpose",
        "feature_config.columns.nope",
    }


def test_schema_validation_names_column_and_row():
    schema = Schema.from_dict(
        {"columns": {"amount": "numeric", "kind": "categorical", "y": "target"}, "positive": "bad"}
    )
    frame = pd.DataFrame(
        {
            "amount": ["1", "abc", "3", "inf"],
            "kind": ["a", "b", "", "c"],
            "y": ["bad", "good", "good", ""],
        }
    )
    with pytest.raises(SchemaError) as caught:
        table_from_frame(frame, schema, require_target=True)
    errors = caught.value.errors
    assert errors["amount"] == ["row 2: 'abc' is not a number", "row 4: 'inf' is not a number"]
    assert errors["y"] == ["row 4: the target is empty"]
    with pytest.raises(SchemaError) as caught:
        table_from_frame(frame.drop(columns=["kind"]), schema, require_target=True)
    assert caught.value.errors == {"kind": ["Declared in the schema but missing from the file."]}
    with pytest.raises(SchemaError) as caught:
        Schema.from_dict({"columns": {"a": "text"}, "protected": ["b"]})
    assert set(caught.value.errors) == {"schema.columns.a", "schema.protected"}


def test_applicant_validation_names_the_field(german):
    _, schema, _ = german
    with pytest.raises(SchemaError) as caught:
        validate_applicant(
            {"credit_amount": "lots", "purpose": 3, "shoe_size": 42},
            schema,
            required=["credit_amount", "purpose", "duration_in_month"],
        )
    assert set(caught.value.errors) == {
        "applicant.credit_amount",
        "applicant.purpose",
        "applicant.shoe_size",
        "applicant.duration_in_month",
    }
