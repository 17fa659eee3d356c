"""Rows of the financial-risk models for tests and the tenant-isolation registry: real rows
made through the services (a small dataset, a quickly trained model), never hand-filled."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal

import numpy as np

from apps.financial_risk.models import (
    Alert,
    FindingKind,
    FraudRing,
    ModelState,
    MonitoringFinding,
    RiskAccount,
    Transaction,
)

# Small folds and few rounds: a model in a fraction of a second, same code path as production,
# but for the scorecard blend: its optimal binning (a CP solver per column, per fold) took 4.4 of
# the 5.1 s a tiny champion cost, and the isolation, role and audit tables make hundreds. The
# blend has its own tests (test_scorecard.py, test_scoring.py, evaluate_risk's).
FAST_TRAINING = {
    "cv_folds": 2,
    "inner_folds": 2,
    "max_rounds": 40,
    "early_stopping_rounds": 10,
    "blend": "none",
}

TINY_SCHEMA = {
    "columns": {
        "income": "numeric",
        "debt": "numeric",
        "region": "categorical",
        "age": "numeric",
        "default": "target",
    },
    "protected": ["age"],
    "positive": "yes",
}


def tiny_rows(n: int = 240, seed: int = 0) -> list[dict]:
    """Defaults driven by debt over income and by region; age is noise (and protected)."""
    rng = np.random.default_rng(seed)
    rows = []
    for _ in range(n):
        income = float(rng.integers(1000, 9000))
        debt = float(rng.integers(0, 8000))
        region = str(rng.choice(["north", "south", "east", "west"]))
        risk = debt / income + (0.6 if region == "east" else 0.0)
        rows.append(
            {
                "income": income,
                "debt": debt,
                "region": region,
                "age": float(rng.integers(18, 80)),
                "default": "yes" if risk + rng.normal(0, 0.3) > 1.0 else "no",
            }
        )
    return rows


def tiny_dataset(tenant, *, n: int = 240, seed: int = 0):
    from apps.financial_risk.services import dataset_create

    return dataset_create(tenant=tenant, name="tiny", schema=TINY_SCHEMA, rows=tiny_rows(n, seed))


# The tiny data's protected age bands hold about 60 rows each, so their approval rates swing
# by chance (a disparate impact near 0.75 on seed 0). A tenant whose models come from these
# factories accepts that, so that tests of scoring, monitoring or isolation get a champion;
# the governance tests set the thresholds they test (governance_settings_update).
TINY_GOVERNANCE = {"disparate_impact_floor": 0.5}


def tiny_governance(tenant):
    from apps.financial_risk.models import RiskGovernanceSettings

    row, _ = RiskGovernanceSettings.objects.get_or_create(
        tenant=tenant, defaults={"values": TINY_GOVERNANCE}
    )
    return row


def tiny_model(
    tenant, *, state: str = ModelState.DRAFT, dataset=None, name: str = "tiny", **configs
):
    from apps.financial_risk.services import risk_model_promote, risk_model_train

    tiny_governance(tenant)
    dataset = dataset or tiny_dataset(tenant)
    configs.setdefault("training_config", FAST_TRAINING)
    model = risk_model_train(tenant=tenant, dataset=dataset, name=name, **configs)
    if state != ModelState.DRAFT:
        model = risk_model_promote(tenant=tenant, model=model, state=state)
    return model


def tiny_applicant(**overrides) -> dict:
    return {"income": 2000.0, "debt": 5000.0, "region": "east", **overrides}


def decision(tenant):
    from apps.financial_risk.services import decision_create

    tiny_model(tenant, state=ModelState.CHAMPION)
    return decision_create(tenant=tenant, applicant=tiny_applicant(), model_name="tiny")


def batch_scoring(tenant):
    from apps.financial_risk.services import batch_scoring_start

    model = tiny_model(tenant, state=ModelState.CHAMPION)
    return batch_scoring_start(tenant=tenant, dataset=model.dataset, model=model)


def finding(tenant):
    model = tiny_model(tenant)
    return MonitoringFinding.objects.create(
        tenant=tenant,
        model=model,
        run_id=uuid.uuid4(),
        kind=FindingKind.PSI_FEATURE,
        feature="income",
        value=0.3,
        alert=Alert.ALERT,
    )


def ring(tenant):
    return FraudRing.objects.create(
        tenant=tenant,
        size=2,
        score=0.5,
        shared_identifiers=[{"key": "device:x", "kind": "device", "accounts": 2}],
    )


def account(tenant):
    return RiskAccount.objects.create(
        tenant=tenant, external_id=f"acct-{uuid.uuid4().hex[:8]}", ring=ring(tenant)
    )


def transaction(tenant):
    return Transaction.objects.create(
        tenant=tenant,
        account=account(tenant),
        amount=Decimal("12.50"),
        device_id="dev-1",
        occurred_at=datetime(2026, 1, 1, tzinfo=UTC),
    )


# ---------------------------------------------------------------------------- transaction fraud

# A small labelled history: enough fraud in every time slice to train in about a second.
SMALL_STREAM = {"accounts": 60, "weeks": 3, "seed": 3}


def stream_rows(stream, index=None) -> list[dict]:
    return stream.rows(index)


def small_stream():
    from dataclasses import replace

    from apps.financial_risk.evaluation.fraud_synthetic import TRAINING, synthetic_stream

    dense = replace(TRAINING, episodes_per_account_week=0.15)
    return synthetic_stream(patterns=dense, **SMALL_STREAM)


def validated(rows: list[dict]) -> list[dict]:
    """Through the API's serializer: tokenised cards, parsed values."""
    from apps.financial_risk.api.fraud_serializers import TransactionInSerializer

    body = TransactionInSerializer(data=rows, many=True)
    body.is_valid(raise_exception=True)
    return body.validated_data


def fraud_champion(tenant, *, stream=None):
    """Labelled history stored through the ingest service, a fraud model trained on it and
    promoted to champion."""
    from apps.financial_risk.services import risk_model_promote
    from apps.financial_risk.services.fraud_models import fraud_model_train
    from apps.financial_risk.services.fraud_transactions import transactions_ingest

    stream = stream or small_stream()
    transactions_ingest(tenant=tenant, rows=validated(stream_rows(stream)))
    model = fraud_model_train(tenant=tenant, name="fraud")
    return risk_model_promote(tenant=tenant, model=model, state=ModelState.CHAMPION)


def fraud_decision(tenant):
    from apps.financial_risk.services.fraud_scoring import transaction_score

    fraud_champion(tenant)
    row = validated(
        [
            {
                "account": "acct-00001",
                "amount": "42.00",
                "currency": "EUR",
                "occurred_at": "2026-02-01T12:00:00Z",
                "merchant_category": 5411,
                "channel": "pos",
                "country": "GB",
                "device_id": "dev-x",
                "card_number": "4000000000000002",
            }
        ]
    )[0]
    return transaction_score(tenant=tenant, clean=row)[0]


IMPORT_CSV = (
    "account,amount,currency,occurred_at,merchant_category,channel,country,card_number\n"
    "acct-imp-1,12.50,EUR,2026-02-01T10:00:00Z,5411,pos,FR,4000 0000 0000 0002\n"
)


def transaction_import(tenant):
    """A CSV import through the service (staged, its job queued)."""
    from apps.financial_risk.services.fraud_imports import transaction_import_start

    return transaction_import_start(
        tenant=tenant, content=IMPORT_CSV.encode(), filename="transactions.csv"
    )


def german_credit_for_training():
    """German credit as ``fit_model`` takes it: table, target, default feature config, kinds."""
    from apps.financial_risk.engine.data import german_credit, table_from_frame, target_vector
    from apps.financial_risk.engine.features import (
        default_feature_config,
        validate_feature_config,
    )

    frame, schema, _ = german_credit()
    table = table_from_frame(frame, schema, require_target=True)
    y = target_vector(table, schema)
    config, _ = validate_feature_config(default_feature_config(schema, table), schema)
    kinds = {n: schema.kind(n) for n in config["columns"]}
    return table, y, config, kinds
