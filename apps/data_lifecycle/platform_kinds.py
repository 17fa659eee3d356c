"""The platform's own personal data in the lifecycle (``PRIVACY_DATA_KINDS``), declared here
because the apps that hold it sit below ``apps.data_lifecycle``:

- ``notifications.deliveries``: what was sent to a tenant's destinations (subject, body,
  payload). A delivery may quote a customer (a handoff's masked last message, an alert's
  payload): an identifier of 6 characters or more found in any of them removes the delivery,
  for every kind of subject. Kept 90 days by default; tenant erasure removes the
  destinations too (their e-mail addresses and secrets).
- ``notifications.alerts``: alerts raised by the monitors (a risk model's drift or failed gate,
  a failing job, a failed audit verification). Their title, details or key may quote what they
  are about (an account, a customer): an identifier of 6 characters or more found in any of
  them removes the alert, for every kind of subject. Acknowledged alerts are kept a year by
  default; an open one stays until a person has seen it. Tenant erasure removes them all.
- ``jobs.results``: the tenant's finished jobs (params, progress message, result, error): a
  job's result may quote what it worked on (an import's rejected rows, a batch's findings).
  Finished jobs are kept 180 days by default (a queued or running one is never touched); an
  identifier of 6 characters or more found in any of those fields removes the job, for every
  kind of subject; tenant erasure removes every finished job (the erasure's own job, still
  running, stays and holds only the certificate).
- ``audit.log``: the tenant's audit chain, kept longest (``AUDIT_RETENTION_DAYS``, 10 years by
  default, and never less than any other kind's period: ``apps.data_lifecycle.retention``) and
  never erased
  (it holds no personal data: ``apps.audit.redaction``); retention deletes only whole anchored
  periods, the deletion signed, anchored and audited (``apps.audit.services.retention``). The
  platform chain follows the platform default (``audit_log_expire_platform``).
"""

from __future__ import annotations

import logging

from django.db.models import Q

from apps.audit.models import PLATFORM_CHAIN, AuditEvent, chain_key
from apps.audit.services.retention import AuditRetentionRefused, audit_prune_chain
from apps.jobs.models import FINISHED_STATES, Job
from apps.notifications.models import Alert, Delivery, Destination

from .kinds import ANY_SUBJECT, DataKind, delete_batch, deleted_counts, export_rows

MIN_SUBSTRING = 6
AUDIT_LOG = "audit.log"
logger = logging.getLogger("apps.data_lifecycle")


def _expire(tenant, before, limit) -> int:
    return delete_batch(Delivery.objects.filter(tenant=tenant, created_at__lt=before), limit)


def _erase_subject(tenant, subject_kind, subject_id) -> dict:
    subject_id = subject_id.strip()
    if len(subject_id) < MIN_SUBSTRING:
        return {}
    quoting = (
        Q(subject__icontains=subject_id)
        | Q(body__icontains=subject_id)
        | Q(payload__icontains=subject_id)
        | Q(dedup_key__icontains=subject_id)
    )
    return deleted_counts(Delivery.objects.filter(quoting, tenant=tenant))


def _erase_tenant(tenant) -> dict:
    counts = deleted_counts(Delivery.objects.filter(tenant=tenant))
    counts.update(deleted_counts(Destination.objects.filter(tenant=tenant)))
    return counts


def _expire_alerts(tenant, before, limit) -> int:
    seen = Alert.objects.filter(tenant=tenant, acknowledged_at__isnull=False, last_seen__lt=before)
    return delete_batch(seen, limit)


def _erase_from_alerts(tenant, subject_kind, subject_id) -> dict:
    subject_id = subject_id.strip()
    if len(subject_id) < MIN_SUBSTRING:
        return {}
    quoting = (
        Q(title__icontains=subject_id)
        | Q(details__icontains=subject_id)
        | Q(dedup_key__icontains=subject_id)
    )
    return deleted_counts(Alert.objects.filter(quoting, tenant=tenant))


def _finished_jobs(tenant):
    return Job.objects.filter(tenant=tenant, state__in=FINISHED_STATES)


def _expire_jobs(tenant, before, limit) -> int:
    return delete_batch(_finished_jobs(tenant).filter(finished_at__lt=before), limit)


def _erase_from_jobs(tenant, subject_kind, subject_id) -> dict:
    subject_id = subject_id.strip()
    if len(subject_id) < MIN_SUBSTRING:
        return {}
    quoting = (
        Q(params__icontains=subject_id)
        | Q(result__icontains=subject_id)
        | Q(error__icontains=subject_id)
        | Q(progress_message__icontains=subject_id)
        | Q(result_url__icontains=subject_id)
    )
    return deleted_counts(_finished_jobs(tenant).filter(quoting))


def _prune(chain: str, before) -> int:
    try:
        prune = audit_prune_chain(chain, before=before)
    except AuditRetentionRefused as exc:
        logger.warning("audit log retention skipped: %s", exc)
        return 0
    return prune.deleted if prune is not None else 0


def _expire_audit_log(tenant, before, limit) -> int:
    return _prune(chain_key(tenant.pk), before)


def audit_log_expire_platform(before) -> int:
    """The platform chain's retention (it belongs to no tenant)."""
    return _prune(PLATFORM_CHAIN, before)


DATA_KINDS = [
    DataKind(
        name="notifications.deliveries",
        default_days=90,
        expire=_expire,
        erase_tenant=_erase_tenant,
        export=lambda tenant: export_rows(
            "notifications_delivery", Delivery.objects.filter(tenant=tenant)
        ),
        erase_subject=_erase_subject,
        subject_kinds=(ANY_SUBJECT,),
    ),
    DataKind(
        name="notifications.alerts",
        default_days=365,
        expire=_expire_alerts,
        erase_tenant=lambda tenant: deleted_counts(Alert.objects.filter(tenant=tenant)),
        export=lambda tenant: export_rows(
            "notifications_alert", Alert.objects.filter(tenant=tenant)
        ),
        erase_subject=_erase_from_alerts,
        subject_kinds=(ANY_SUBJECT,),
    ),
    DataKind(
        name="jobs.results",
        default_days=180,
        expire=_expire_jobs,
        erase_tenant=lambda tenant: deleted_counts(_finished_jobs(tenant)),
        export=lambda tenant: export_rows("jobs_job", Job.objects.filter(tenant=tenant)),
        erase_subject=_erase_from_jobs,
        subject_kinds=(ANY_SUBJECT,),
    ),
    DataKind(
        name=AUDIT_LOG,
        default_days=10 * 365,
        default_setting="AUDIT_RETENTION_DAYS",
        expire=_expire_audit_log,
        erase_tenant=lambda tenant: {},  # the chain stays verifiable; it holds no personal data
        export=lambda tenant: export_rows(
            "audit_auditevent", AuditEvent.objects.filter(tenant=tenant)
        ),
    ),
]
