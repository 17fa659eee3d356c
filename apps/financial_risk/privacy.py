"""The financial-risk data the platform's lifecycle manages (``PRIVACY_DATA_KINDS``).

Decisions (an applicant is erased by the decision ``reference`` the tenant scored them
under), uploaded datasets, and the accounts and transactions of fraud-ring detection.
"""

from __future__ import annotations

from apps.data_lifecycle.kinds import DataKind, delete_batch, deleted_counts, export_rows

from .models import Decision, RiskAccount


def _expire_decisions(tenant, before, limit) -> int:
    return delete_batch(Decision.objects.filter(tenant=tenant, created_at__lt=before), limit)


def _erase_applicant(tenant, subject_kind, subject_id) -> dict:
    counts = deleted_counts(Decision.objects.filter(tenant=tenant, reference=subject_id))
    counts.update(deleted_counts(RiskAccount.objects.filter(tenant=tenant, external_id=subject_id)))
    return counts


def _erase_tenant(tenant) -> dict:
    counts = deleted_counts(Decision.objects.filter(tenant=tenant))
    counts.update(deleted_counts(RiskAccount.objects.filter(tenant=tenant)))
    return counts


def _export(tenant):
    yield from export_rows("financial_risk_decision", Decision.objects.filter(tenant=tenant))


DATA_KINDS = [
    DataKind(
        name="financial_risk.decisions",
        default_days=7 * 365,
        expire=_expire_decisions,
        erase_tenant=_erase_tenant,
        export=_export,
        erase_subject=_erase_applicant,
        subject_kinds=("applicant",),
    )
]
