"""The model registry: training jobs that register draft versions with their model card on the
shared model registry (``apps.registry``); promotion, with its gates and four eyes, is in
``services.governance``."""

from __future__ import annotations

import math
import platform
import time

import numpy as np

from apps.audit.services import audited
from apps.financial_risk.engine import metrics
from apps.financial_risk.engine.data import NUMERIC, target_vector
from apps.financial_risk.engine.features import (
    FeatureConfigError,
    default_feature_config,
    validate_feature_config,
)
from apps.financial_risk.engine.input_checks import training_input_schema
from apps.financial_risk.engine.monitoring import reference_categorical, reference_numeric
from apps.financial_risk.engine.scoring import OUTCOMES, validate_decision_config
from apps.financial_risk.engine.training import (
    TrainingConfig,
    cross_validate,
    fit_model,
    xgb_device,
)
from apps.financial_risk.models import Dataset, RiskModel
from apps.financial_risk.selectors import dataset_schema, dataset_table
from apps.jobs.models import Job
from apps.jobs.services import job_create
from apps.registry.services import (
    PromotionError,  # noqa: F401  the views and tests catch services.PromotionError
    version_create,
)

TRAIN_JOB_KIND = "financial_risk.train"
TRAIN_TASK_NAME = "apps.financial_risk.tasks.risk_model_train_task"


def training_configs_validate(
    *, dataset: Dataset, feature_config, training_config, decision_config
):
    """All three configurations checked (``FeatureConfigError`` naming the field) before any
    job starts; returns them cleaned, with the feature warnings for the card."""
    schema = dataset_schema(dataset)
    if not schema.target:
        raise FeatureConfigError({"dataset": ["The dataset's schema declares no target column."]})
    if feature_config is None:
        feature_config = default_feature_config(schema, dataset_table(dataset))
    features, warnings = validate_feature_config(feature_config, schema)
    training = TrainingConfig.from_dict(training_config)
    unknown = [c for c in training.monotone if c not in features["columns"]]
    if unknown:
        raise FeatureConfigError({"training_config.monotone": [f"Not a feature column: {unknown}"]})
    _folds_check(dataset, schema, training)
    return features, training, validate_decision_config(decision_config), warnings


def _folds_check(dataset: Dataset, schema, training: TrainingConfig) -> None:
    """Refuse up front a dataset too small for the configured folds: every outer training fold
    must hold ``inner_folds`` rows of each class (stratified), so the smaller class needs at
    least this many rows; otherwise training would fail inside the job, after its retries."""
    needed = max(
        training.cv_folds,
        math.ceil(training.inner_folds * training.cv_folds / (training.cv_folds - 1)),
    )
    y = target_vector(dataset_table(dataset), schema)
    counts = {"positive": int(y.sum()), "negative": int(len(y) - y.sum())}
    smallest = min(counts.values())
    if smallest < needed:
        raise FeatureConfigError(
            {
                "dataset": [
                    f"Too small for {training.cv_folds} cross-validation folds with "
                    f"{training.inner_folds} inner folds: {len(y)} rows ({counts['positive']} "
                    f"positive, {counts['negative']} negative); each class needs at least "
                    f"{needed} rows."
                ]
            }
        )


def risk_model_train_start(
    *,
    tenant,
    dataset: Dataset,
    name: str,
    feature_config: dict | None = None,
    training_config: dict | None = None,
    decision_config: dict | None = None,
) -> Job:
    """Validate the configurations and queue a training job (202 + job URL in the API)."""
    features, training, decision, _ = training_configs_validate(
        dataset=dataset,
        feature_config=feature_config,
        training_config=training_config,
        decision_config=decision_config,
    )
    with audited(
        tenant=tenant, action="financial_risk.model.train_start", resource_type="jobs.job"
    ) as event:
        job = job_create(
            tenant=tenant,
            kind=TRAIN_JOB_KIND,
            task_name=TRAIN_TASK_NAME,
            params={
                "dataset_id": str(dataset.pk),
                "name": name,
                "feature_config": features,
                "training_config": training.as_dict(),
                "decision_config": decision,
            },
        )
        event.resource_id = job.pk
        event.details = {"dataset": str(dataset.pk), "name": name}
    job.refresh_from_db()  # in-process mode: already ran
    return job


def _library_versions() -> dict:
    """Versions from the installed distributions' metadata (importing shap just to read its
    version would cost seconds)."""
    from importlib.metadata import version

    packages = ("xgboost", "shap", "scikit-learn", "numpy", "pandas", "optbinning")
    return {"python": platform.python_version(), **{name: version(name) for name in packages}}


def risk_model_train(
    *,
    tenant,
    dataset: Dataset,
    name: str,
    feature_config: dict | None = None,
    training_config: dict | None = None,
    decision_config: dict | None = None,
    job: Job | None = None,
    progress=None,
) -> RiskModel:
    """Cross-validate (metrics, fairness, the logistic baseline on the same folds), fit the
    final model on all rows and register it as a draft version with its model card."""
    started = time.monotonic()
    features, training, decision, warnings = training_configs_validate(
        dataset=dataset,
        feature_config=feature_config,
        training_config=training_config,
        decision_config=decision_config,
    )
    schema = dataset_schema(dataset)
    table = dataset_table(dataset)
    y = target_vector(table, schema)
    kinds = {n: schema.kind(n) for n in features["columns"]}
    steps = training.cv_folds + 2

    def fold_done(done, total):
        if progress:
            progress(done, steps, f"cross-validation fold {done}/{total}")

    cv = cross_validate(
        table,
        y,
        feature_config=features,
        kinds=kinds,
        config=training,
        decision=decision,
        progress=fold_done,
    )
    final = fit_model(
        table, y, feature_config=features, kinds=kinds, config=training, decision=decision
    )
    if progress:
        progress(training.cv_folds + 1, steps, "final model")
    scored = final.score(table, explain=True)
    card = _model_card(
        dataset=dataset,
        schema=schema,
        table=table,
        y=y,
        cv=cv,
        final=final,
        scored=scored,
        features=features,
        training=training,
        decision=decision,
        warnings=warnings,
    )
    card["training_seconds"] = round(time.monotonic() - started, 2)
    state = {**final.state(), "schema": schema.as_dict()}
    with audited(
        tenant=tenant, action="financial_risk.model.train", resource_type="financial_risk.riskmodel"
    ) as event:
        model = version_create(
            RiskModel,
            tenant=tenant,
            name=name,
            dataset=dataset,
            job=job,
            feature_config=features,
            training_config=training.as_dict(),
            decision_config=decision,
            fitted_state=state,
            booster=final.booster_bytes(),
            card=card,
        )
        event.resource_id = model.pk
        event.model_name, event.model_revision = model.name, f"v{model.version}"
        event.row_count = len(y)
        event.details = {"cv_auc": card["metrics"]["cv_auc_mean"], "dataset_digest": dataset.digest}
    if progress:
        progress(steps, steps, "registered")
    return model


def _model_card(
    *, dataset, schema, table, y, cv, final, scored, features, training, decision, warnings
):
    cutoff = decision["approve_below"]
    approved = cv.probabilities < cutoff
    groups = {
        column: metrics.protected_groups(table[column], schema.kind(column) == NUMERIC)
        for column in schema.protected
        if column in table
    }
    importance = np.abs(scored.contributions).mean(axis=0)
    sources = final.pipeline.sources
    reference = {}
    for column in schema.features:
        values = table[column]
        reference[column] = (
            reference_numeric(values)
            if schema.kind(column) == NUMERIC
            else reference_categorical(values)
        )
    reference["__score__"] = reference_numeric(scored.probability)
    inputs = {column: schema.kind(column) for column in final.pipeline.sources}
    return {
        "dataset": {
            "id": str(dataset.pk),
            "name": dataset.name,
            "digest": dataset.digest,
            "rows": int(len(y)),
            "positive_rate": round(float(y.mean()), 4),
            "target": schema.target,
            "positive": schema.positive,
        },
        "features": {
            "configuration": features,
            "derived_features": len(final.pipeline.outputs),
            "protected": list(schema.protected),
            "warnings": warnings,
        },
        "training": {**training.as_dict(), "final": final.training, "device": xgb_device()},
        "metrics": {
            "cv_auc_mean": round(cv.mean_auc, 4),
            "cv_fold_auc": [round(a, 4) for a in cv.fold_auc],
            "model": metrics.classification_metrics(y, cv.probabilities, cutoff=cutoff),
            "baseline": {
                "kind": training.baseline,
                "cv_auc_mean": round(cv.baseline_mean_auc, 4),
                "cv_fold_auc": [round(a, 4) for a in cv.baseline_fold_auc],
                **metrics.classification_metrics(y, cv.baseline, cutoff=cutoff),
            },
            "note": "out-of-fold predictions of stratified cross-validation",
        },
        "fairness": {
            "approval": "probability of default below approve_below on out-of-fold predictions",
            "cutoff": cutoff,
            "floor": metrics.DISPARATE_IMPACT_FLOOR,
            "attributes": metrics.fairness(groups, approved),
        },
        "decision": decision,
        "outcomes": list(OUTCOMES),
        "global_importance": [
            {"feature": sources[j], "mean_abs_shap": round(float(importance[j]), 5)}
            for j in np.argsort(-importance)
        ],
        "reference": reference,
        "input_schema": training_input_schema(table, inputs),
        "library_versions": _library_versions(),
    }


# ---------------------------------------------------------------------------- other purposes


def risk_model_register(
    *,
    tenant,
    name: str,
    purpose: str,
    fitted_state: dict,
    booster: bytes,
    card: dict,
    decision_config: dict,
    feature_config: dict | None = None,
    training_config: dict | None = None,
    job: Job | None = None,
    row_count: int | None = None,
) -> RiskModel:
    """Register a draft version trained outside ``risk_model_train`` (the transaction-fraud
    models of ``services.fraud_models``), audited like a training; it is promoted through
    ``risk_model_promote`` like every other version."""
    with audited(
        tenant=tenant, action="financial_risk.model.train", resource_type="financial_risk.riskmodel"
    ) as event:
        model = version_create(
            RiskModel,
            tenant=tenant,
            name=name,
            purpose=purpose,
            dataset=None,
            job=job,
            feature_config=feature_config or {},
            training_config=training_config or {},
            decision_config=decision_config,
            fitted_state=fitted_state,
            booster=booster,
            card=card,
        )
        event.resource_id = model.pk
        event.model_name, event.model_revision = model.name, f"v{model.version}"
        event.row_count = row_count
        event.details = {"purpose": purpose}
    return model
