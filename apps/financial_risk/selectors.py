"""Reads of the financial-risk vertical: tenant-scoped querysets, dataset tables and loaded
(cached) scoring models."""

from __future__ import annotations

import threading
from collections import OrderedDict

from django.db.models import OuterRef, QuerySet, Subquery

from apps.financial_risk.engine.data import Schema, Table, table_from_parquet
from apps.financial_risk.engine.scoring import ScoringModel

from .models import (
    BatchScoring,
    Dataset,
    Decision,
    FraudDecision,
    FraudRing,
    ModelPurpose,
    ModelState,
    MonitoringFinding,
    RiskAccount,
    RiskModel,
    Transaction,
    TransactionImport,
)


def datasets_of(*, tenant) -> QuerySet[Dataset]:
    return Dataset.objects.filter(tenant=tenant).defer("data")


def risk_models_of(*, tenant) -> QuerySet[RiskModel]:
    return RiskModel.objects.filter(tenant=tenant).defer("booster")


def decisions_of(*, tenant) -> QuerySet[Decision]:
    return Decision.objects.filter(tenant=tenant).select_related("model", "challenger")


def batch_scorings_of(*, tenant) -> QuerySet[BatchScoring]:
    return BatchScoring.objects.filter(tenant=tenant).select_related("model", "dataset")


def findings_of(*, tenant) -> QuerySet[MonitoringFinding]:
    return MonitoringFinding.objects.filter(tenant=tenant).select_related("model")


def accounts_of(*, tenant) -> QuerySet[RiskAccount]:
    return RiskAccount.objects.filter(tenant=tenant).select_related("ring")


def rings_of(*, tenant) -> QuerySet[FraudRing]:
    return FraudRing.objects.filter(tenant=tenant)


def transactions_of(*, tenant) -> QuerySet[Transaction]:
    return Transaction.objects.filter(tenant=tenant)


def fraud_decisions_of(*, tenant) -> QuerySet[FraudDecision]:
    return FraudDecision.objects.filter(tenant=tenant)


def transaction_imports_of(*, tenant) -> QuerySet[TransactionImport]:
    return TransactionImport.objects.filter(tenant=tenant).defer("data")


def dataset_schema(dataset: Dataset) -> Schema:
    return Schema.from_dict(dataset.schema)


def dataset_table(dataset: Dataset) -> Table:
    """The dataset's rows as typed columns (reads the Parquet bytes)."""
    data = dataset.data
    if data is None or not len(data):
        data = Dataset.objects.values_list("data", flat=True).get(pk=dataset.pk)
    return table_from_parquet(bytes(data), dataset_schema(dataset))


def model_schema(model: RiskModel) -> Schema:
    return Schema.from_dict(model.fitted_state["schema"])


def model_in_state(*, tenant, name: str, state: str) -> RiskModel | None:
    return risk_models_of(tenant=tenant).filter(name=name, state=state).first()


def default_champion(*, tenant) -> RiskModel | None:
    """The most recently promoted champion of the tenant (when a request names no model)."""
    return (
        risk_models_of(tenant=tenant)
        .filter(state=ModelState.CHAMPION, purpose=ModelPurpose.CREDIT)
        .order_by("-promoted_at", "-created_at")
        .first()
    )


# Fitted models are immutable once trained (only their registry state changes), so a loaded
# model can be kept per process; a small LRU bounds the memory.
_CACHE_SIZE = 16
_cache: OrderedDict[str, ScoringModel] = OrderedDict()
_cache_lock = threading.Lock()


def scoring_model(model: RiskModel, *, threads: int | None = None) -> ScoringModel:
    key = f"{model.pk}:{threads}"
    with _cache_lock:
        if key in _cache:
            _cache.move_to_end(key)
            return _cache[key]
    booster = model.booster
    if booster is None or not len(booster):
        booster = RiskModel.objects.values_list("booster", flat=True).get(pk=model.pk)
    loaded = ScoringModel.load(model.fitted_state, bytes(booster), threads=threads)
    with _cache_lock:
        _cache[key] = loaded
        while len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)
    return loaded


def drift_alerts_open(*, tenant=None, limit: int = 20) -> list[dict]:
    """The newest drift warnings and alerts (PSI, adversarial validation) of live models, as
    plain dicts for the operations console, which loads this by dotted path
    (``OPERATIONS_PANELS``) so that it imports no vertical. ``tenant`` None: every tenant."""
    findings = (
        MonitoringFinding.objects.filter(
            alert__in=["warning", "alert"],
            model__state__in=[ModelState.CHAMPION, ModelState.CHALLENGER],
        )
        .select_related("tenant", "model")
        .order_by("-created_at")
    )
    if tenant is not None:
        findings = findings.filter(tenant=tenant)
    return [
        {
            "tenant": finding.tenant.slug,
            "model": f"{finding.model.name}:v{finding.model.version}",
            "kind": finding.kind,
            "feature": finding.feature,
            "value": round(finding.value, 4),
            "alert": finding.alert,
            "created_at": finding.created_at.isoformat(),
        }
        for finding in findings[:limit]
    ]


def drift_alerts_open_count() -> int:
    """How many drift warnings and alerts the latest monitoring run of each live model (champion
    or challenger) reports, over every tenant: an older run's alert that a later run no longer
    finds is closed. The web's /metrics exports it as ``platform_risk_drift_alerts_open``
    (apps/operations/metrics.py loads it by dotted path, ``OPERATIONS_METRIC_SOURCES``)."""
    latest_run = (
        MonitoringFinding.objects.filter(model=OuterRef("model"))
        .order_by("-created_at")
        .values("run_id")[:1]
    )
    return MonitoringFinding.objects.filter(
        alert__in=["warning", "alert"],
        model__state__in=[ModelState.CHAMPION, ModelState.CHALLENGER],
        run_id=Subquery(latest_run),
    ).count()
