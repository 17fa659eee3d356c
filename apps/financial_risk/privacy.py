"""The financial-risk data the platform's lifecycle manages (``PRIVACY_DATA_KINDS``).

- ``financial_risk.decisions``: credit decisions (an applicant is erased by the decision
  ``reference`` the tenant scored them under), and the accounts of fraud-ring detection (by
  the client system's ``external_id``): with an account go its transactions and their fraud
  decisions (cascade), the rings it was found in (their shared identifiers are its own), and
  its nodes in the tenant's ``fraud`` graph: the account node and every identifier node
  (device, ip, phone, card) that no remaining account used, and its online window state in
  Redis (``fraud_state``: devices, countries and amounts seen).
- ``financial_risk.transactions``: the payments scored for fraud (and their decisions), kept
  for their own period; their account's erasure removes them too. With them go the CSV
  imports of transactions (``TransactionImport``: the staged file, encrypted at rest and
  emptied when its job ends, and the errors naming rows): expired with the transactions, all
  deleted with the tenant, and an import whose staged rows or errors name an applicant's
  account deleted with that applicant.
- ``financial_risk.datasets``: uploaded training and scoring tables (``Dataset``: the rows,
  Parquet encrypted at rest) with their batch scorings. Kept 3 years from upload by default,
  and longer while still needed: a dataset that a champion or challenger model was trained on,
  or whose batch scorings still have decisions (a batch decision keeps no inputs, it points at
  its row), is held until that model retires or those decisions expire under their own
  period; deleting it earlier would cascade into the decisions. Exported as metadata
  (``financial_risk_dataset``, ``financial_risk_batchscoring``) plus one JSON line per row
  (``financial_risk_dataset_row``: ``dataset_id``, ``row_number``, the cells). A dataset
  names an applicant through its ``id`` columns (the schema's identifier kind; the other
  columns are features, never matched): erasing an applicant removes every row holding the
  id in such a column, rewrites the file (new ``digest`` and ``row_count``), deletes the batch
  decisions that pointed at those rows and renumbers the later ones, so explanations and
  monitoring still read the right row. The rows are removed rather than blanked because a
  blank target would read as the negative class if the dataset trains a model again.
"""

from __future__ import annotations

import gzip
import json
import math

from django.db.models import F

from apps.data_lifecycle.kinds import DataKind, delete_batch, deleted_counts, export_rows
from apps.registry.models import ModelState
from knowledge.models import Graph, Node
from knowledge.services import nodes_delete

from .engine.data import ID, table_digest, table_rows, table_take, table_to_parquet
from .engine.rings import account_key, identifier_key
from .models import (
    BatchScoring,
    Dataset,
    Decision,
    FraudDecision,
    FraudRing,
    RiskAccount,
    RiskModel,
    Transaction,
    TransactionImport,
)
from .selectors import dataset_schema, dataset_table
from .services.fraud_state import state_forget, tenant_state_clear
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
    account_ids = list(accounts.values_list("pk", flat=True))
    rings = FraudRing.objects.filter(tenant=tenant, accounts__in=accounts).distinct()
    counts = deleted_counts(FraudRing.objects.filter(pk__in=list(rings.values("pk"))))
    _add(counts, deleted_counts(accounts))
    # Their online window state in Redis (devices, countries, amounts): a cache, dropped now.
    state_forget(tenant=tenant, account_ids=account_ids)
    graph = Graph.objects.filter(tenant=tenant, name=FRAUD_GRAPH).first()
    if graph is not None and keys:
        _add(counts, {Node._meta.label: nodes_delete(graph=graph, keys=keys)})
    return counts


def _erase_applicant(tenant, subject_kind, subject_id) -> dict:
    counts = deleted_counts(Decision.objects.filter(tenant=tenant, reference=subject_id))
    accounts = RiskAccount.objects.filter(tenant=tenant, external_id=subject_id)
    _add(counts, _erase_accounts(tenant, accounts))
    return _add(counts, _erase_imports(tenant, subject_id))


def _import_names(imported: TransactionImport, subject_id: str) -> bool:
    """Whether an import's staged rows (gzip JSON lines of cells) or errors hold the id."""
    if subject_id in json.dumps(imported.errors, ensure_ascii=False):
        return True
    if not imported.data:
        return False
    for line in gzip.decompress(bytes(imported.data)).decode().split("\n"):
        if line and subject_id in (str(cell).strip() for cell in json.loads(line)):
            return True
    return False


def _erase_imports(tenant, subject_id: str) -> dict:
    subject_id = subject_id.strip()
    if not subject_id:
        return {}
    imports = TransactionImport.objects.filter(tenant=tenant)
    ids = [imported.pk for imported in imports.iterator() if _import_names(imported, subject_id)]
    return deleted_counts(TransactionImport.objects.filter(pk__in=ids)) if ids else {}


def _erase_tenant(tenant) -> dict:
    counts = deleted_counts(Decision.objects.filter(tenant=tenant))
    counts.update(deleted_counts(FraudRing.objects.filter(tenant=tenant)))
    counts.update(deleted_counts(RiskAccount.objects.filter(tenant=tenant)))
    tenant_state_clear(tenant=tenant)  # every account's online state in Redis
    return counts  # the fraud graph goes with the tenant's graphs (knowledge.privacy)


def _export(tenant):
    yield from export_rows("financial_risk_decision", Decision.objects.filter(tenant=tenant))


def _expire_transactions(tenant, before, limit) -> int:
    deleted = delete_batch(Transaction.objects.filter(tenant=tenant, occurred_at__lt=before), limit)
    if deleted < limit:  # then the imports, finished ones only (a pending one awaits its job)
        imports = TransactionImport.objects.filter(
            tenant=tenant, created_at__lt=before, finished_at__isnull=False
        )
        deleted += delete_batch(imports, limit - deleted)
    return deleted


def _erase_transactions_tenant(tenant) -> dict:
    counts = deleted_counts(TransactionImport.objects.filter(tenant=tenant))
    return _add(counts, deleted_counts(Transaction.objects.filter(tenant=tenant)))


def _export_transactions(tenant):
    yield from export_rows("financial_risk_riskaccount", RiskAccount.objects.filter(tenant=tenant))
    yield from export_rows("financial_risk_transaction", Transaction.objects.filter(tenant=tenant))
    decisions = FraudDecision.objects.filter(tenant=tenant)
    yield from export_rows("financial_risk_frauddecision", decisions)
    imports = TransactionImport.objects.filter(tenant=tenant)
    yield from export_rows("financial_risk_transactionimport", imports)


def _datasets_in_use(tenant):
    """Ids of datasets still needed: a champion or challenger was trained on them, or a batch
    scoring of theirs still has decisions. (No NULLs in these subqueries: NOT IN with a NULL
    would hold every dataset back.)"""
    models = RiskModel.objects.filter(
        tenant=tenant,
        state__in=[ModelState.CHAMPION, ModelState.CHALLENGER],
        dataset__isnull=False,
    ).values("dataset_id")
    batches = BatchScoring.objects.filter(tenant=tenant, decisions__isnull=False).values(
        "dataset_id"
    )
    return models, batches


def _expire_datasets(tenant, before, limit) -> int:
    models, batches = _datasets_in_use(tenant)
    expired = (
        Dataset.objects.filter(tenant=tenant, created_at__lt=before)
        .exclude(pk__in=models)
        .exclude(pk__in=batches)
    )
    return delete_batch(expired, limit)  # their batch scorings (no decisions left) go too


def _cell(value):
    if isinstance(value, float) and math.isnan(value):
        return None
    return value.item() if hasattr(value, "item") else value


def _export_datasets(tenant):
    datasets = Dataset.objects.filter(tenant=tenant).defer("data")
    yield from export_rows(
        "financial_risk_batchscoring", BatchScoring.objects.filter(tenant=tenant)
    )
    for dataset in datasets.iterator(chunk_size=20):
        meta = {f.attname: getattr(dataset, f.attname) for f in Dataset._meta.concrete_fields}
        meta.pop("data")
        yield "financial_risk_dataset", meta
        table = dataset_table(dataset)
        for i in range(table_rows(table)):
            cells = {name: _cell(values[i]) for name, values in table.items()}
            yield "financial_risk_dataset_row", {"dataset_id": dataset.pk, "row_number": i, **cells}


def _erase_dataset_rows(dataset, subject_id: str) -> dict:
    """Remove the rows naming ``subject_id`` in an ``id`` column (module docstring)."""
    columns = [name for name, kind in dataset_schema(dataset).columns.items() if kind == ID]
    if not columns:
        return {}
    table = dataset_table(dataset)
    hits = sorted(
        {
            i
            for name in columns
            if name in table
            for i, value in enumerate(table[name])
            if value is not None and str(value).strip() == subject_id
        }
    )
    if not hits:
        return {}
    removed = set(hits)
    keep = [i for i in range(table_rows(table)) if i not in removed]
    decisions = Decision.objects.filter(batch__dataset=dataset)
    counts = deleted_counts(decisions.filter(row_number__in=hits))
    for row in reversed(hits):  # from the last, so each shift sees the numbers as stored
        decisions.filter(row_number__gt=row).update(row_number=F("row_number") - 1)
    if not keep:
        return _add(counts, deleted_counts(Dataset.objects.filter(pk=dataset.pk)))
    data = table_to_parquet(table_take(table, keep))
    dataset.data, dataset.digest, dataset.row_count = data, table_digest(data), len(keep)
    dataset.save(update_fields=["data", "digest", "row_count"])
    return _add(counts, {"financial_risk.Dataset.rows": len(hits)})


def _erase_dataset_subject(tenant, subject_kind, subject_id) -> dict:
    subject_id = subject_id.strip()
    counts: dict = {}
    if not subject_id:
        return counts
    for dataset in Dataset.objects.filter(tenant=tenant).iterator(chunk_size=20):
        _add(counts, _erase_dataset_rows(dataset, subject_id))
    return counts


def _erase_datasets_tenant(tenant) -> dict:
    return deleted_counts(Dataset.objects.filter(tenant=tenant))  # batch scorings cascade


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
        erase_tenant=_erase_transactions_tenant,
        export=_export_transactions,
    ),
    DataKind(
        name="financial_risk.datasets",
        default_days=3 * 365,
        expire=_expire_datasets,
        erase_tenant=_erase_datasets_tenant,
        export=_export_datasets,
        erase_subject=_erase_dataset_subject,
        subject_kinds=("applicant",),
    ),
]
