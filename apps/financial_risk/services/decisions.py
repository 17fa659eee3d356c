"""Single decisions: champion scoring with reason codes, the challenger in shadow, stored and
audited with the model version; a stored decision's SHAP values recomputed (its pictures and
phrases: ``explanations``)."""

from __future__ import annotations

from apps.audit.services import audited, input_digest
from apps.financial_risk.engine.data import (
    SchemaError,
    table_from_records,
    table_take,
    validate_applicant,
)
from apps.financial_risk.engine.input_checks import out_of_distribution
from apps.financial_risk.engine.scoring import OUTCOMES
from apps.financial_risk.models import Decision, ModelState, Outcome, RiskModel
from apps.financial_risk.selectors import (
    dataset_table,
    default_champion,
    model_in_state,
    model_schema,
    risk_models_of,
    scoring_model,
)

from .governance_settings import governance_settings

# One applicant is scored on one thread: starting a thread pool per request costs more
# than the prediction.
SINGLE_THREAD = 1


def decision_model(*, tenant, model_name: str | None) -> RiskModel:
    """The champion of ``model_name`` (or the tenant's latest champion); SchemaError if none."""
    if model_name:
        model = model_in_state(tenant=tenant, name=model_name, state=ModelState.CHAMPION)
        if model is None:
            raise SchemaError({"model_name": [f"No champion model named {model_name!r}."]})
        return model
    model = default_champion(tenant=tenant)
    if model is None:
        raise SchemaError({"model_name": ["This tenant has no champion model yet."]})
    return model


def _out_of_distribution(tenant, model: RiskModel, applicant: dict) -> dict:
    """The applicant's inputs outside the model's training schema (its card's
    ``input_schema``): a 400 naming each field, or, where the tenant refers such applicants,
    the reasons for a "refer" decision. Versions trained before the schema was recorded are
    not checked."""
    input_schema = model.card.get("input_schema")
    if not input_schema:
        return {}
    config = governance_settings(tenant)
    unusual = out_of_distribution(
        applicant,
        input_schema,
        tolerance=config["range_tolerance"],
        per_feature=config["feature_tolerance"],
    )
    if unusual and config["out_of_distribution"] != "refer":
        raise SchemaError({f"applicant.{column}": why for column, why in unusual.items()})
    return unusual


def decision_create(
    *, tenant, applicant: dict, model_name: str | None = None, reference: str = ""
) -> Decision:
    """Score one applicant with the champion (and the challenger, in shadow) and store the
    decision with its reasons. Invalid applicant values raise SchemaError naming the field."""
    champion = decision_model(tenant=tenant, model_name=model_name)
    schema = model_schema(champion)
    loaded = scoring_model(champion, threads=SINGLE_THREAD)
    clean = validate_applicant(applicant, schema, required=loaded.pipeline.sources)
    unusual = _out_of_distribution(tenant, champion, clean)
    table = table_from_records([clean], schema)
    result = loaded.score(table, explain=True)
    reasons = loaded.reasons_for_row(result, 0, table)
    outcome = OUTCOMES[int(result.outcome[0])]
    if unusual:  # the tenant refers such applicants to a person, with the reasons
        outcome = Outcome.REFER
        reasons = [
            {
                "feature": column,
                "phrase": f"out of distribution: {why[0]}",
                "value": clean.get(column),
                "contribution": None,
                "out_of_distribution": True,
            }
            for column, why in sorted(unusual.items())
        ] + reasons

    challenger = model_in_state(tenant=tenant, name=champion.name, state=ModelState.CHALLENGER)
    shadow = None
    if challenger is not None:
        shadow_model = scoring_model(challenger, threads=SINGLE_THREAD)
        missing = [c for c in shadow_model.pipeline.sources if c not in clean]
        if not missing:  # a challenger needing inputs the champion does not is skipped
            shadow = shadow_model.score(table, explain=False)

    with audited(
        tenant=tenant,
        action="financial_risk.decision.create",
        resource_type="financial_risk.decision",
        model_name=champion.name,
        model_revision=f"v{champion.version}",
    ) as event:
        decision = Decision.objects.create(
            tenant=tenant,
            model=champion,
            reference=reference,
            inputs=clean,
            probability=float(result.probability[0]),
            points=float(result.points[0]),
            outcome=outcome,
            reasons=reasons,
            challenger=challenger if shadow is not None else None,
            challenger_probability=None if shadow is None else float(shadow.probability[0]),
            challenger_outcome="" if shadow is None else OUTCOMES[int(shadow.outcome[0])],
        )
        event.resource_id = decision.pk
        event.input_digest = input_digest(tenant=tenant, data=clean)
        event.details = {"outcome": decision.outcome, "model_id": str(champion.pk)}
        if unusual:
            event.details["out_of_distribution"] = unusual
        if shadow is not None:
            event.details["challenger"] = f"{challenger.name}:v{challenger.version}"
    return decision


def decision_scored(decision: Decision):
    """The decision's model, its input row and its score with SHAP values, recomputed from the
    stored inputs (or the batch's dataset row) with its model version: deterministic."""
    loaded = scoring_model(decision.model, threads=SINGLE_THREAD)
    if decision.batch_id is not None and decision.row_number is not None:
        table = table_take(dataset_table(decision.batch.dataset), [decision.row_number])
        for column in loaded.pipeline.sources:
            if loaded.pipeline.kinds[column] == "numeric":
                table[column] = table[column].astype(float)
    else:
        table = table_from_records([decision.inputs], model_schema(decision.model))
    return loaded, table, loaded.score(table, explain=True)


def decision_explanation(decision: Decision) -> tuple[float, list[tuple[str, float]]]:
    """Base value and every input column's SHAP value for a stored decision."""
    loaded, _, result = decision_scored(decision)
    return result.base_value, list(
        zip(loaded.pipeline.sources, result.contributions[0].tolist(), strict=True)
    )


def shadow_report(*, tenant, challenger: RiskModel) -> dict:
    """Challenger against champion on the live decisions where both scored."""
    import numpy as np

    rows = list(
        Decision.objects.filter(tenant=tenant, challenger=challenger).values_list(
            "probability", "challenger_probability", "outcome", "challenger_outcome"
        )
    )
    champions = {
        str(pk)
        for pk in Decision.objects.filter(tenant=tenant, challenger=challenger)
        .values_list("model_id", flat=True)
        .distinct()
    }
    report = {
        "challenger": challenger.label,
        "champions": sorted(
            m.label for m in risk_models_of(tenant=tenant).filter(pk__in=champions)
        ),
        "decisions": len(rows),
    }
    if not rows:
        return report
    champion_p = np.array([r[0] for r in rows])
    challenger_p = np.array([r[1] for r in rows])
    agree = sum(1 for r in rows if r[2] == r[3])
    report.update(
        {
            "outcome_agreement": round(agree / len(rows), 4),
            "champion_outcomes": {o: sum(1 for r in rows if r[2] == o) for o in OUTCOMES},
            "challenger_outcomes": {o: sum(1 for r in rows if r[3] == o) for o in OUTCOMES},
            "mean_probability": {
                "champion": round(float(champion_p.mean()), 4),
                "challenger": round(float(challenger_p.mean()), 4),
            },
            "mean_absolute_difference": round(float(np.abs(champion_p - challenger_p).mean()), 4),
            "rank_correlation": None
            if len(rows) < 3
            else round(float(_spearman(champion_p, challenger_p)), 4),
        }
    )
    return report


def _spearman(a, b) -> float:
    from scipy.stats import spearmanr

    value = spearmanr(a, b).statistic
    return 0.0 if value != value else value  # NaN (constant input) → 0
