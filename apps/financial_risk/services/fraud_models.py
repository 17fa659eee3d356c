"""Training the transaction-fraud model from the tenant's labelled transactions, as a job:
offline features over the stored history (the same declarations the online path uses),
time-based validation against a baseline on the payment's own fields, registered as a draft
``RiskModel`` (purpose ``fraud``) through the registry's public services."""

from __future__ import annotations

import time
from importlib.metadata import version

import numpy as np
import xgboost as xgb

from apps.audit.services import audited
from apps.financial_risk.engine.data import SchemaError
from apps.financial_risk.engine.fraud_features import NAMES, offline_features
from apps.financial_risk.engine.fraud_training import fit_pair
from apps.financial_risk.models import ModelPurpose, RiskModel, Transaction
from apps.jobs.models import Job
from apps.jobs.services import job_create

from .fraud_state import history
from .registry import risk_model_register

FRAUD_TRAIN_JOB_KIND = "financial_risk.fraud_train"
FRAUD_TRAIN_TASK_NAME = "apps.financial_risk.tasks.fraud_model_train_task"
MIN_FRAUD_ROWS = 10


def fraud_model_train_start(*, tenant, name: str = "fraud") -> Job:
    """Check there is labelled history to learn from, then queue the training job."""
    labelled = Transaction.objects.filter(tenant=tenant, is_fraud=True).count()
    if labelled < MIN_FRAUD_ROWS:
        raise SchemaError(
            {
                "transactions": [
                    f"Training needs at least {MIN_FRAUD_ROWS} transactions labelled "
                    f"as fraud; this tenant has {labelled}."
                ]
            }  # fmt: skip
        )
    with audited(
        tenant=tenant, action="financial_risk.fraud_model.train_start", resource_type="jobs.job"
    ) as event:
        job = job_create(
            tenant=tenant,
            kind=FRAUD_TRAIN_JOB_KIND,
            task_name=FRAUD_TRAIN_TASK_NAME,
            params={"name": name},
        )
        event.resource_id = job.pk
    job.refresh_from_db()
    return job


def fraud_model_train(*, tenant, name: str = "fraud", job=None, progress=None) -> RiskModel:
    """Features over the whole stored history, the time-split fit of the behavioural model
    and of the baseline, and a draft version with its card."""
    started = time.monotonic()
    h, y, _ = history(Transaction.objects.filter(tenant=tenant))
    if y.sum() < MIN_FRAUD_ROWS:
        raise SchemaError({"transactions": ["Too few transactions labelled as fraud."]})
    if progress:
        progress(1, 3, "features")
    X = offline_features(h)
    try:
        model_fit, baseline = fit_pair(X, y, h.ts_ms)
    except ValueError as exc:
        raise SchemaError({"transactions": [str(exc)]}) from exc
    if progress:
        progress(2, 3, "registering")
    split = model_fit.figures["cutoffs_ms"]
    test = h.ts_ms >= split[1]
    contributions = model_fit.booster.predict(
        xgb.DMatrix(X[test] if test.any() else X, feature_names=NAMES),
        pred_contribs=True,
    )
    importance = np.abs(contributions[:, :-1]).mean(axis=0)
    card = {
        "purpose": "transaction fraud",
        "rows": int(len(y)),
        "fraud_rows": int(y.sum()),
        "validation": "time-based: earliest 60% of the time span trains, next 20% stops the "
        "boosting and places the thresholds, latest 20% is measured",
        "cutoffs_ms": split,
        "metrics": {"model": model_fit.figures, "baseline": baseline.figures},
        "thresholds": model_fit.thresholds,
        "rounds": model_fit.best_rounds,
        "global_importance": [
            {"feature": NAMES[j], "mean_abs_shap": round(float(importance[j]), 5)}
            for j in np.argsort(-importance)
        ],
        "library_versions": {p: version(p) for p in ("xgboost", "numpy", "scikit-learn")},
        "training_seconds": round(time.monotonic() - started, 2),
    }
    model = risk_model_register(
        tenant=tenant,
        name=name,
        purpose=ModelPurpose.FRAUD,
        fitted_state={"names": model_fit.names, "thresholds": model_fit.thresholds},
        booster=bytes(model_fit.booster.save_raw(raw_format="ubj")),
        card=card,
        decision_config=model_fit.thresholds,
        feature_config={"features": NAMES},
        job=job,
        row_count=int(len(y)),
    )
    if progress:
        progress(3, 3, "registered")
    return model
