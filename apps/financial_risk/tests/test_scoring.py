"""Scoring: reason codes equal SHAP's own values, points and outcomes follow the configured
scaling and cutoffs, the stored model scores exactly like the trained one."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from apps.financial_risk.engine.data import (
    table_take,
)
from apps.financial_risk.engine.scoring import DEFAULT_DECISION, ScoringModel
from apps.financial_risk.engine.training import TrainingConfig, fit_model

FAST = TrainingConfig(cv_folds=2, inner_folds=2, max_rounds=80, early_stopping_rounds=20)


@pytest.fixture(scope="module")
def trained(credit):
    table, y, config, kinds = credit
    model = fit_model(
        table, y, feature_config=config, kinds=kinds, config=FAST, decision=DEFAULT_DECISION
    )
    return model, table


def test_reason_codes_equal_shap_tree_explainer_values(trained):
    import shap

    model, table = trained
    rows = table_take(table, np.arange(50))
    result = model.score(rows, explain=True)
    explainer = shap.TreeExplainer(model.booster)
    shap_values = explainer.shap_values(model.pipeline.transform(rows))
    # Grouped by input column, exactly as the reasons are; plus the blended scorecard's exact
    # per-column part (coefficient times centred WoE, in the margin's units).
    grouped = shap_values @ model.pipeline.source_matrix()
    card, scale = model.scorecard, model.scorecard_scale
    assert card is not None and scale > 0  # the default training blends the scorecard
    columns = [model.pipeline.sources.index(c) for c in card.columns]
    grouped[:, columns] += scale * card.contributions(rows)
    np.testing.assert_allclose(result.contributions, grouped, rtol=1e-4, atol=1e-5)
    expected_value = float(np.atleast_1d(explainer.expected_value)[0])
    assert result.base_value == pytest.approx(expected_value + scale * card.expected, abs=1e-4)
    # The contributions add up to f(x): the trees' margin plus the scorecard's logit / a.
    np.testing.assert_allclose(
        result.contributions.sum(axis=1) + result.base_value, result.margin, rtol=1e-4, atol=1e-4
    )
    for row in range(50):
        reasons = model.reasons_for_row(result, row, rows)
        values = [r["contribution"] for r in reasons]
        assert values == sorted(values, reverse=True) and all(v > 0 for v in values)
        for reason in reasons:
            column = model.pipeline.sources.index(reason["feature"])
            assert reason["contribution"] == pytest.approx(grouped[row, column], abs=1e-4)
            raw = rows[reason["feature"]][row]
            assert reason["value"] == (raw if isinstance(raw, str) else pytest.approx(raw))
        # The reasons are the most adverse columns: nothing left out pushed harder.
        if reasons:
            others = np.delete(
                grouped[row], [model.pipeline.sources.index(r["feature"]) for r in reasons]
            )
            assert others.max() <= reasons[-1]["contribution"] + 1e-6


def test_points_and_outcomes_follow_the_configuration(trained):
    model, table = trained
    result = model.score(table, explain=False)
    d = model.decision
    factor = d["points_to_double_odds"] / math.log(2)
    p = result.probability
    expected_points = d["base_score"] + factor * (np.log((1 - p) / p) - math.log(d["base_odds"]))
    np.testing.assert_allclose(result.points, expected_points, atol=0.06)
    # odds 50:1 good is exactly the base score; twice the odds adds points_to_double_odds
    outcome = np.where(p < d["approve_below"], 0, np.where(p >= d["decline_at"], 2, 1))
    np.testing.assert_array_equal(result.outcome, outcome)
    assert set(np.unique(result.outcome)) == {0, 1, 2}


def test_stored_model_scores_like_the_trained_one(trained):
    model, table = trained
    # Through JSON, as the fitted state is stored (the blended scorecard included).
    state = json.loads(json.dumps(model.state()))
    reloaded = ScoringModel.load(state, model.booster_bytes(), threads=1)
    first = model.score(table, explain=True)
    second = reloaded.score(table, explain=True)
    np.testing.assert_array_equal(first.probability, second.probability)
    np.testing.assert_array_equal(first.contributions, second.contributions)
    assert 0 < first.probability.min() < first.probability.max() < 1
