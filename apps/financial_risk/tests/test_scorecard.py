"""The WoE scorecard blended into the risk model: its stored bins score exactly like optbinning,
it adds its logit to the trees' margin, and models trained before it still score as before."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from optbinning import BinningProcess

from apps.financial_risk.engine.data import table_take
from apps.financial_risk.engine.scorecard import Scorecard
from apps.financial_risk.engine.scoring import DEFAULT_DECISION, ScoringModel
from apps.financial_risk.engine.training import TrainingConfig, fit_model

FAST = TrainingConfig(cv_folds=2, inner_folds=2, max_rounds=60, early_stopping_rounds=20)


def test_stored_bins_give_optbinnings_own_woe_unseen_and_missing_values_included(credit):
    table, y, config, kinds = credit
    columns = list(config["columns"])
    train, test = np.arange(800), np.arange(800, 1000)
    card = Scorecard.fit(table_take(table, train), y[train], columns=columns, kinds=kinds)
    held_out = table_take(table, test)
    numeric = next(c for c in columns if kinds[c] == "numeric")
    categorical = next(c for c in columns if kinds[c] != "numeric")
    held_out[numeric] = held_out[numeric].copy()
    held_out[numeric][:3] = np.nan
    held_out[categorical] = held_out[categorical].copy()
    held_out[categorical][3] = "a category never seen in training"
    held_out[categorical][4] = None
    frame = pd.DataFrame({c: table[c] for c in columns})
    process = BinningProcess(
        columns, categorical_variables=[c for c in columns if kinds[c] != "numeric"]
    )
    process.fit(frame.iloc[train], y[train])
    reference = process.transform(pd.DataFrame(held_out)[columns], metric="woe").to_numpy(float)
    np.testing.assert_allclose(card.woe(held_out), reference, rtol=0, atol=1e-12)
    # Contributions are centred and add up to the logit.
    logit = card.logit(held_out)
    np.testing.assert_allclose(card.expected + card.contributions(held_out).sum(axis=1), logit)
    assert Scorecard.from_dict(card.to_dict()).logit(held_out) == pytest.approx(logit)


def test_the_margin_adds_the_scorecard_logit_to_the_trees_and_calibration_covers_both(credit):
    table, y, config, kinds = credit
    model = fit_model(
        table, y, feature_config=config, kinds=kinds, config=FAST, decision=DEFAULT_DECISION
    )
    assert model.training["blend"] == "scorecard"
    rows = table_take(table, np.arange(100))
    trees = model.booster.predict(model.matrix(rows), output_margin=True).astype(float)
    scored = model.score(rows, explain=False)
    np.testing.assert_allclose(
        scored.margin - trees, model.scorecard_scale * model.scorecard.logit(rows), atol=1e-5
    )
    a, b = model.calibration
    np.testing.assert_allclose(scored.probability, 1 / (1 + np.exp(-(a * scored.margin + b))))
    assert a > 0  # recalibrated on the blended inner out-of-fold scores, still increasing


def test_no_blend_under_monotone_constraints_or_when_switched_off(credit):
    table, y, config, kinds = credit
    for training in (
        TrainingConfig(**{**FAST.as_dict(), "monotone": {"duration_in_month": 1}}),
        TrainingConfig(**{**FAST.as_dict(), "blend": "none"}),
    ):
        model = fit_model(
            table, y, feature_config=config, kinds=kinds, config=training, decision=DEFAULT_DECISION
        )
        assert model.scorecard is None and model.training["blend"] == "none"
        assert "scorecard" not in model.state()
    with pytest.raises(Exception, match="blend"):
        TrainingConfig.from_dict({"blend": "stacked"})


def test_a_version_stored_before_the_blend_scores_with_its_trees_alone(credit):
    table, y, config, kinds = credit
    model = fit_model(
        table, y, feature_config=config, kinds=kinds, config=FAST, decision=DEFAULT_DECISION
    )
    state = model.state()
    state.pop("scorecard"), state.pop("scorecard_scale")
    old = ScoringModel.load(state, model.booster_bytes(), threads=1)
    rows = table_take(table, np.arange(20))
    result = old.score(rows, explain=True)
    trees = model.booster.predict(model.matrix(rows), output_margin=True).astype(float)
    np.testing.assert_allclose(result.margin, trees, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(
        result.contributions.sum(axis=1) + result.base_value, trees, atol=1e-4
    )


def test_a_batch_and_single_rows_get_the_same_woe(credit):
    """Batches take pandas' vectorised lookup, single applicants a Python one: same numbers,
    unseen categories and missing values included."""
    table, y, config, kinds = credit
    columns = list(config["columns"])
    card = Scorecard.fit(table, y, columns=columns, kinds=kinds)
    rows = table_take(table, np.arange(1000).repeat(2))  # 2,000 rows: the batch path
    categorical = next(c for c in columns if kinds[c] != "numeric")
    rows[categorical] = rows[categorical].copy()
    rows[categorical][:5] = [None, "never seen", None, "never seen", None]
    batch = card.woe(rows)
    singles = np.vstack([card.woe(table_take(rows, np.array([i]))) for i in range(0, 2000, 97)])
    np.testing.assert_array_equal(batch[::97], singles)
    j = columns.index(categorical)
    assert batch[0, j] == card.bins[categorical]["missing"]
    assert batch[1, j] == card.bins[categorical]["unknown"]
