"""Real-time transaction scoring: online features, the champion fraud model's probability,
SHAP reasons and an allow/review/block decision, stored with the transaction; retries with
the same Idempotency-Key get the stored answer. Decisions are audited in batches
(``fraud_decisions_audit``, every ``FRAUD_AUDIT_FLUSH_SECONDS`` from celery-beat) so that the
audit chain's lock is not taken once per payment."""

from __future__ import annotations

import hashlib
import json
import threading
from collections import Counter, OrderedDict
from contextlib import nullcontext
from datetime import UTC, datetime

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Min, Subquery
from django.utils import timezone

from apps.accounts.models import Tenant
from apps.audit.services import audited
from apps.financial_risk.engine.data import SchemaError
from apps.financial_risk.engine.fraud_features import online_features
from apps.financial_risk.engine.fraud_reasons import reasons
from apps.financial_risk.engine.fraud_training import FraudScorer
from apps.financial_risk.models import (
    FraudDecision,
    FraudRing,
    ModelPurpose,
    ModelState,
    RiskAccount,
    RiskModel,
    Transaction,
)

from .fraud_state import event_of, state_add, state_from_sql, state_read, state_rebuild
from .fraud_transactions import accounts_ensure, transaction_fields


class IdempotencyConflict(ValueError):
    """The Idempotency-Key was used before for a different transaction."""


# Loaded fraud models per process, by version id: the champion's id is looked up on every
# request (one indexed row), so a promotion is picked up by the next request.
_scorers: OrderedDict[str, FraudScorer] = OrderedDict()
_scorers_lock = threading.Lock()


def _champion_query(tenant):
    return (
        RiskModel.objects.filter(
            tenant=tenant, purpose=ModelPurpose.FRAUD, state=ModelState.CHAMPION
        )
        .order_by("-promoted_at")
        .values("pk")[:1]
    )


def fraud_champion(*, tenant) -> RiskModel | None:
    return (
        RiskModel.objects.filter(pk__in=Subquery(_champion_query(tenant)))
        .only("id", "name", "version", "fitted_state")
        .first()
    )


def _loaded(model_id) -> tuple[RiskModel, FraudScorer]:
    """The version (without its booster) and its scorer, kept per process by id."""
    key = str(model_id)
    with _scorers_lock:
        if key in _scorers:
            _scorers.move_to_end(key)
            return _scorers[key]
    model = RiskModel.objects.only("id", "name", "version", "fitted_state").get(pk=model_id)
    booster = RiskModel.objects.values_list("booster", flat=True).get(pk=model_id)
    state = model.fitted_state
    loaded = (model, FraudScorer(bytes(booster), state["names"], state["thresholds"]))
    with _scorers_lock:
        _scorers[key] = loaded
        while len(_scorers) > 8:
            _scorers.popitem(last=False)
    return loaded


def fraud_scorer(model: RiskModel) -> FraudScorer:
    return _loaded(model.pk)[1]


def _account_sql() -> str:
    """One row whether or not the account exists: its id and ring (score, detection time),
    and the tenant's champion fraud model's id (as ``_champion_query``)."""
    accounts, rings = RiskAccount._meta.db_table, FraudRing._meta.db_table
    models = RiskModel._meta.db_table
    return (
        f"SELECT a.id, a.ring_id, r.score, r.detected_at, (SELECT m.id FROM {models} m "
        "WHERE m.tenant_id = %s AND m.purpose = %s AND m.state = %s "
        "ORDER BY m.promoted_at DESC LIMIT 1) "
        f"FROM (SELECT 1) one LEFT JOIN {accounts} a ON a.tenant_id = %s AND a.external_id = %s "
        f"LEFT JOIN {rings} r ON r.id = a.ring_id"
    )


_ACCOUNT_SQL = _account_sql()


def _from_column(model, name: str, value):
    if value is None:
        return None
    value = model._meta.get_field(name).to_python(value)
    if isinstance(value, datetime) and timezone.is_naive(value):  # SQLite keeps UTC, naive
        value = timezone.make_aware(value, UTC)
    return value


def _account_and_champion(*, tenant, external_id: str):
    """The account (with its ring's score and detection time) and the champion's id in one
    hand-written query: building the same query through the ORM (``select_related``, a
    subquery annotation) cost more CPU per payment than scoring it. A new account is created
    (``accounts_ensure``)."""
    tenant_key = type(tenant)._meta.pk.get_db_prep_value(tenant.pk, connection)
    with connection.cursor() as cursor:
        cursor.execute(
            _ACCOUNT_SQL,
            [tenant_key, ModelPurpose.FRAUD.value, ModelState.CHAMPION.value, tenant_key,
             external_id],
        )  # fmt: skip
        row = cursor.fetchone()
    # As the ORM would read them: SQLite returns ids as hex text and times as text.
    account_id, ring_id, champion_id = (
        _from_column(model, "id", value)
        for model, value in ((RiskAccount, row[0]), (FraudRing, row[1]), (RiskModel, row[4]))
    )
    ring_score, ring_detected_at = row[2], _from_column(FraudRing, "detected_at", row[3])
    if account_id is None:
        return accounts_ensure(tenant=tenant, external_ids=[external_id])[external_id], champion_id
    account = RiskAccount.from_db(
        connection.alias, ["id", "tenant_id", "external_id", "ring_id"],
        [account_id, tenant.pk, external_id, ring_id],
    )  # fmt: skip
    account.tenant = tenant
    account.ring = (
        None
        if ring_id is None
        else FraudRing.from_db(
            connection.alias, ["id", "tenant_id", "score", "detected_at"],
            [ring_id, tenant.pk, ring_score, ring_detected_at],
        )
    )  # fmt: skip
    return account, champion_id


def request_digest(clean: dict) -> str:
    """SHA-256 of the validated request (card already a token): a replay must match it."""
    body = {k: str(v) for k, v in sorted(clean.items())}
    return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()


def _replay(*, tenant, key: str, digest: str) -> FraudDecision | None:
    if not key:
        return None
    found = (
        FraudDecision.objects.filter(tenant=tenant, idempotency_key=key)
        .select_related("transaction__account", "model")
        .order_by()  # the unique partial index, not the newest-first one
        .first()
    )
    if found is not None and found.request_digest != digest:
        raise IdempotencyConflict(
            "This Idempotency-Key was already used for a different transaction."
        )
    return found


def transaction_score(
    *, tenant, clean: dict, idempotency_key: str = ""
) -> tuple[FraudDecision, bool]:
    """Score one validated transaction; returns the decision and whether it is a replay of an
    earlier request with the same Idempotency-Key (then nothing new is written)."""
    digest = request_digest(clean)
    # A retry is found by the unique (tenant, Idempotency-Key) when its rows are inserted: the
    # first attempt pays no extra lookup; a retry's rows are rolled back and the stored
    # decision is returned (the window state is only updated after a successful insert).
    account, champion_id = _account_and_champion(tenant=tenant, external_id=clean["account"])
    if champion_id is None:
        raise SchemaError({"model": ["This tenant has no champion fraud model yet."]})
    champion, scorer = _loaded(champion_id)
    fields = transaction_fields(clean)
    event = event_of(account=account, **{k: fields[k] for k in (
        "occurred_at", "amount", "country", "merchant_category", "channel")},
        device=fields["device_id"])  # fmt: skip
    state = state_read(tenant=tenant, account=account, event=event)
    path = "redis"
    if state is None or (state.last_ms is not None and event.ts_ms < state.last_ms):
        state, path = state_from_sql(account=account, event=event), "sql"
    values = online_features(event, state, scorer.names)
    probability, contributions = scorer.score(values)
    stored = Transaction(tenant=tenant, account=account, **fields)
    decision = FraudDecision(
        tenant=tenant,
        transaction=stored,
        model=champion,
        idempotency_key=idempotency_key,
        request_digest=digest,
        probability=probability,
        outcome=scorer.outcome(probability),
        reasons=reasons(scorer.names, values, contributions),
        features=dict(zip(scorer.names, values.tolist(), strict=True)),
        feature_path=path,
    )
    try:
        _store(stored, decision)
    except IntegrityError:  # the key was used before (a retry): nothing new was stored
        earlier = _replay(tenant=tenant, key=idempotency_key, digest=digest)
        if earlier is None:
            raise
        return earlier, True
    decision.model = champion
    if path == "redis":
        state_add(tenant=tenant, account=account, event=event, row_id=stored.pk)
    else:  # the state was missing or the event came late: rebuild it from the database
        state_rebuild(tenant=tenant, account_ids=[account.pk])
    return decision, False


def _store(stored: Transaction, decision: FraudDecision) -> None:
    """Insert the transaction and its decision. On PostgreSQL one statement (a data-modifying
    CTE, atomic on its own: one round trip instead of BEGIN, two INSERTs and COMMIT); elsewhere
    two ORM inserts in a transaction."""
    if connection.vendor != "postgresql":
        with transaction.atomic():
            stored.save(force_insert=True)
            decision.transaction = stored
            decision.save(force_insert=True)
        return
    txn_fields = [f for f in Transaction._meta.concrete_fields if not f.primary_key]
    decision.created_at = timezone.now()
    dec_fields = [f for f in FraudDecision._meta.concrete_fields if f.name != "transaction"]
    txn_values = [f.get_db_prep_save(getattr(stored, f.attname), connection) for f in txn_fields]
    dec_values = [f.get_db_prep_save(getattr(decision, f.attname), connection) for f in dec_fields]
    # The answer does not wait for the WAL flush unless FRAUD_DECISION_SYNCHRONOUS_COMMIT:
    # PostgreSQL's asynchronous commit can lose the last fraction of a second of decisions in
    # a database crash, never corrupt them; the client retries with its Idempotency-Key and
    # is scored again. set_config(..., true) applies to this statement's own transaction.
    synchronous = "on" if settings.FRAUD_DECISION_SYNCHRONOUS_COMMIT else "off"
    sql = (
        "WITH c AS (SELECT set_config('synchronous_commit', %s, true)), "
        f"t AS (INSERT INTO {Transaction._meta.db_table} "
        f"({', '.join(f.column for f in txn_fields)}) "
        f"VALUES ({', '.join(['%s'] * len(txn_fields))}) RETURNING id) "
        f"INSERT INTO {FraudDecision._meta.db_table} "
        f"({', '.join(f.column for f in dec_fields)}, transaction_id) "
        f"SELECT {', '.join(['%s'] * len(dec_fields))}, t.id FROM t, c RETURNING transaction_id"
    )
    # Inside a caller's transaction a savepoint keeps a duplicate key from aborting it;
    # on its own (autocommit) the statement is its own transaction.
    guard = transaction.atomic() if connection.in_atomic_block else nullcontext()
    with guard, connection.cursor() as cursor:
        cursor.execute(sql, [synchronous, *txn_values, *dec_values])
        stored.pk = cursor.fetchone()[0]
    decision.transaction = stored


def fraud_decisions_audit(*, tenant, limit: int = 20_000) -> int:
    """One audit event for the tenant's decisions not yet audited (up to ``limit``), with
    their count, outcomes, model versions and a digest of their ids; returns how many."""
    with transaction.atomic():
        pending = list(
            FraudDecision.objects.select_for_update(skip_locked=True)
            .filter(tenant=tenant, audited_at__isnull=True)
            .order_by("created_at")
            .values_list("id", "outcome", "model_id", "created_at")[:limit]
        )
        if not pending:
            return 0
        ids = [str(p[0]) for p in pending]
        with audited(
            tenant=tenant,
            action="financial_risk.fraud.decisions",
            resource_type="financial_risk.frauddecision",
        ) as event:
            FraudDecision.objects.filter(pk__in=ids).update(audited_at=timezone.now())
            event.row_count = len(ids)
            event.details = {
                "outcomes": dict(Counter(p[1] for p in pending)),
                "models": sorted({str(p[2]) for p in pending}),
                "first_at": pending[0][3].isoformat(),
                "last_at": pending[-1][3].isoformat(),
                "ids_sha256": hashlib.sha256(",".join(ids).encode()).hexdigest(),
            }
    return len(ids)


def fraud_decisions_audit_all(*, limit: int = 20_000) -> dict:
    """``fraud_decisions_audit`` for every tenant with decisions waiting (celery-beat)."""
    waiting = (
        FraudDecision.objects.filter(audited_at__isnull=True)
        .values("tenant_id")
        .annotate(first=Min("created_at"))
    )
    done = {}
    for tenant in Tenant.objects.filter(pk__in=[w["tenant_id"] for w in waiting]):
        done[tenant.slug] = fraud_decisions_audit(tenant=tenant, limit=limit)
    return done
