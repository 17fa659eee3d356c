"""Who may read and cancel a job: declared per job kind, read through one function.

A job's kind starts with the app that runs it (``financial_risk.train``, ``audit.verify``).
Most apps' jobs belong to a data domain, and the domain table (``apps.accounts.domains``) says
who reads (sees the job and its result) and who writes (cancels it). Apps whose jobs are not
domain data declare their roles here; audit verifications are for auditors and admins only.
A kind nobody declared is admin-only. Whoever started a job may always read and cancel it.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q

from apps.accounts.domains import READ, WRITE, domain_roles
from apps.accounts.roles import Role
from apps.core.verticals import Vertical, installed


@dataclass(frozen=True)
class JobAccess:
    """Either a data domain (its table decides) or explicit read and cancel roles."""

    domain: str | None = None
    read: frozenset[str] = frozenset()
    cancel: frozenset[str] = frozenset()

    def roles(self, verb: str) -> frozenset[str]:
        if self.domain is not None:
            return domain_roles(self.domain, READ if verb == "read" else WRITE)
        chosen = self.read | self.cancel if verb == "read" else self.cancel
        return frozenset(chosen) | {Role.ADMIN}


_ACCESS: dict[str, JobAccess] = {}
ADMIN_ONLY = JobAccess()


def job_access_register(app: str, access: JobAccess) -> None:
    """Declare who reads and cancels the jobs of ``app`` (the kind's first segment)."""
    _ACCESS[app] = access


def job_access(kind: str) -> JobAccess:
    return _ACCESS.get(kind.split(".", 1)[0], ADMIN_ONLY)


def _owned_by(job, credential) -> bool:
    actor = job.actor or {}
    if not actor.get("id"):
        return False
    kind = "api_key" if credential.__class__.__name__ == "ApiKey" else "user"
    own_id = credential.pk if kind == "api_key" else credential.user_id
    return actor.get("kind") == kind and str(actor.get("id")) == str(own_id)


def job_allows(job, credential, verb: str) -> bool:
    """May ``credential`` (ApiKey or Membership of the job's tenant) ``verb`` (read/cancel)?"""
    if credential.tenant_id != job.tenant_id or not credential.tenant.is_active:
        return False
    if _owned_by(job, credential):
        return True
    return credential.role in job_access(job.kind).roles(verb)


def readable_kinds_q(role: str | None) -> Q:
    """A filter for the jobs ``role`` may read (owners' own jobs are added by the caller)."""
    if role == Role.ADMIN:  # admins read every kind, declared or not
        return Q(pk__isnull=False)
    allowed = Q(pk__in=[])
    for app, access in _ACCESS.items():
        if role in access.roles("read"):
            allowed |= Q(kind__startswith=f"{app}.")
    return allowed


def job_access_register_declared(verticals: tuple[Vertical, ...] | None = None) -> None:
    """Register every installed vertical's job kinds (``job_access`` in its vertical.py)."""
    for vertical in installed() if verticals is None else verticals:
        for prefix, access in vertical.job_access.items():
            job_access_register(prefix, JobAccess(**access))


# The platform's own job kinds; the verticals' come from their declarations. Knowledge jobs are
# general reference-data work unless their graph's domain is recorded in the job's params (the
# API checks the graph's domain on start); every role reads them (admins read every kind).
job_access_register(
    "audit", JobAccess(read=frozenset({Role.AUDITOR}), cancel=frozenset({Role.AUDITOR}))
)
job_access_register("knowledge", JobAccess(read=frozenset(Role.values)))
job_access_register("inference", JobAccess(read=frozenset(Role.values)))
