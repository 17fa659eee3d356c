"""The financial-risk data the platform's lifecycle manages (``PRIVACY_DATA_KINDS``).

- ``financial_risk.decisions``: credit decisions (an applicant is erased by the decision
  ``reference`` the tenant scored them under), and the accounts of fraud-ring detection (by
  the client system's ``external_id``): with an account go its transactions and their fraud
  decisions (cascade), the rings it was found in (their shared identifiers are its own), and
  its nodes in the tenant's ``fraud`` graph: the account node and every identifier node
  (device, ip, phone, card) that no remaining account used.
- ``financial_risk.transactions``: the payments scored for fraud (and their decisions), kept
  for their own period; their account's erasure removes them too.
"""

from __future__ import annotations

from apps.data_lifecycle.kinds import DataKind, delete_batch, deleted_counts, export_rows
from knowledge.models import Graph, Node
from knowledge.services import nodes_delete

from .engine.rings import account_key, identifier_key
from .models import Decision, FraudDecision, FraudRing, RiskAccount, Transaction
from .services.rings import FRAUD_GRAPH, TRANSACTION_FIELDS


def _add(counts: dict, more: dict) -> dict:
    for table, count in more.items():
        counts[table] = counts.get(table, 0) + count
    return counts


def _expire_decisions(tenant, before, limit) -> int:
    return delete_batch(Decision.objects.filter(tenant=tenant, created_at__lt=before), limit)


def _graph_keys_of(tenant, accounts) -> list[str]:
    """The fraud-graph keys of ``accounts`` and of the identifiers only they used."""
    keys = [account_key(value) for value in accounts.values_list("external_id", flat=True)]
    others = Transaction.objects.filter(tenant=tenant).exclude(account__in=accounts)
    for kind, column in TRANSACTION_FIELDS.items():
        used = set(
            Transaction.objects.filter(tenant=tenant, account__in=accounts)
            .exclude(**{column: ""})
            .values_list(column, flat=True)
        )
        shared = set(others.filter(**{f"{column}__in": used}).values_list(column, flat=True))
        keys += [identifier_key(kind, value) for value in used - shared]
    return keys


def _erase_accounts(tenant, accounts) -> dict:
    if not accounts.exists():
        return {}
    keys = _graph_keys_of(tenant, accounts)
    rings = FraudRing.objects.filter(tenant=tenant, accounts__in=accounts).distinct()
    counts = deleted_counts(FraudRing.objects.filter(pk__in=list(rings.values("pk"))))
    _add(counts, deleted_counts(accounts))
    graph = Graph.objects.filter(tenant=tenant, name=FRAUD_GRAPH).first()
    if graph is not None and keys:
        _add(counts, {Node._meta.label: nodes_delete(graph=graph, keys=keys)})
    return counts


def _erase_applicant(tenant, subject_kind, subject_id) -> dict:
    counts = deleted_counts(Decision.objects.filter(tenant=tenant, reference=subject_id))
    accounts = RiskAccount.objects.filter(tenant=tenant, external_id=subject_id)
    return _add(counts, _erase_accounts(tenant, accounts))


def _erase_tenant(tenant) -> dict:
    counts = deleted_counts(Decision.objects.filter(tenant=tenant))
    counts.update(deleted_counts(FraudRing.objects.filter(tenant=tenant)))
    counts.update(deleted_counts(RiskAccount.objects.filter(tenant=tenant)))
    return counts  # the fraud graph goes with the tenant's graphs (knowledge.privacy)


def _export(tenant):
    yield from export_rows("financial_risk_decision", Decision.objects.filter(tenant=tenant))


def _expire_transactions(tenant, before, limit) -> int:
    return delete_batch(Transaction.objects.filter(tenant=tenant, occurred_at__lt=before), limit)


def _export_transactions(tenant):
    yield from export_rows("financial_risk_riskaccount", RiskAccount.objects.filter(tenant=tenant))
    yield from export_rows("financial_risk_transaction", Transaction.objects.filter(tenant=tenant))
    decisions = FraudDecision.objects.filter(tenant=tenant)
    yield from export_rows("financial_risk_frauddecision", decisions)


DATA_KINDS = [
    DataKind(
        name="financial_risk.decisions",
        default_days=7 * 365,
        expire=_expire_decisions,
        erase_tenant=_erase_tenant,
        export=_export,
        erase_subject=_erase_applicant,
        subject_kinds=("applicant",),
    ),
    DataKind(
        name="financial_risk.transactions",
        default_days=5 * 365,
        expire=_expire_transactions,
        erase_tenant=lambda tenant: deleted_counts(Transaction.objects.filter(tenant=tenant)),
        export=_export_transactions,
    ),
]
