"""Erasure requests: four eyes (``apps.approvals``), executed as a job, certified.

1. ``erasure_request_create``: an admin asks to erase a data subject (a patient pseudonym, a
   customer identifier, a risk applicant's reference) or the whole tenant (offboarding);
2. ``approval_approve`` by a different admin starts ``privacy_erasure_task``;
3. the job exports the tenant first (offboarding only), asks every registered data kind to
   erase, drops the tenant's cached model results and the export archives quoting the
   subject (``files``), destroys the tenant's data keys
   (offboarding: crypto-shredding whatever copy remains in backups), marks a tenant inactive
   (its row stays as a tombstone: audit events refer to it), clears the identifier from the
   request and issues the certificate: counts per table, the subject's keyed digest, times,
   signed with the audit Ed25519 key and anchored through the audit event that records it.

Audit events never needed touching: they hold digests and ids, never the personal data.
"""

from __future__ import annotations

import hashlib
import hmac

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from rest_framework.exceptions import ValidationError

from apps.accounts.models import Tenant
from apps.approvals.models import ApprovalState
from apps.approvals.registry import approval_kind_register
from apps.approvals.services import approval_mark_executed, approval_request_create
from apps.audit.hashing import iso_timestamp
from apps.audit.services import audited
from apps.audit.signing import key_ring, sign, signature_valid
from apps.core.public_ids import user_public_id
from apps.jobs.services import job_create
from apps.privacy.keys import tenant_keys_destroy
from apps.privacy.models import ErasureRequest, ErasureScope

from .files import (
    export_archives_erase_subject,
    export_archives_erase_tenant,
    offboarding_archive,
)
from .kinds import data_kinds, subject_kinds

ERASURE_KIND = "privacy.erasure"
ERASURE_JOB_KIND = "privacy.erasure"
# The task keeps the name it had in apps/privacy/lifecycle: stored jobs, queued messages and the
# beat schedule refer to it by that name.
ERASURE_TASK_NAME = "apps.privacy.lifecycle.tasks.privacy_erasure_task"
APPROVER_ROLES = {"admin"}


def subject_digest(*, tenant, subject_kind: str, subject_id: str) -> str:
    """A keyed digest of the subject's identifier: the certificate proves whose data was
    erased to someone who knows the identifier, without storing it."""
    key = hmac.new(
        settings.AUDIT_DIGEST_KEY.encode(), str(tenant.digest_salt).encode(), hashlib.sha256
    ).digest()
    return hmac.new(key, f"{subject_kind}:{subject_id}".encode(), hashlib.sha256).hexdigest()


def erasure_request_create(
    *, tenant, requested_by, scope: str, reason: str, subject_kind: str = "", subject_id: str = ""
) -> ErasureRequest:
    """Ask for an erasure; a different admin of the tenant must approve it."""
    if scope not in ErasureScope.values:
        raise ValidationError({"scope": [f"must be one of {', '.join(ErasureScope.values)}"]})
    if scope == ErasureScope.SUBJECT:
        if subject_kind not in subject_kinds():
            known = ", ".join(sorted(subject_kinds()))
            raise ValidationError({"subject_kind": [f"must be one of: {known}"]})
        if not subject_id or len(subject_id) > 200:
            raise ValidationError({"subject_id": ["required, at most 200 characters"]})
    if not reason.strip():
        raise ValidationError({"reason": ["say why (the legal basis or the request's origin)"]})
    digest = subject_digest(tenant=tenant, subject_kind=subject_kind, subject_id=subject_id)
    with transaction.atomic():
        approval = approval_request_create(
            tenant=tenant,
            kind=ERASURE_KIND,
            target=f"subject:{subject_kind}:{digest[:16]}" if subject_id else f"tenant:{tenant.pk}",
            payload={"scope": scope, "subject_kind": subject_kind},
            requested_by=requested_by,
            reason=reason,
        )
        with audited(
            tenant=tenant,
            action="privacy.erasure.request",
            resource_type="privacy.erasure_request",
            details={"scope": scope, "subject_kind": subject_kind},
        ) as event:
            erasure = ErasureRequest.objects.create(
                tenant=tenant,
                approval=approval,
                scope=scope,
                subject_kind=subject_kind,
                subject_ref=subject_id,
                subject_digest=digest if subject_id else "",
            )
            event.resource_id = erasure.pk
    return erasure


def _start_erasure_job(approval) -> None:
    """The approval handler: start the erasure job (sent when the approval commits)."""
    erasure = ErasureRequest.objects.select_for_update().get(approval=approval)
    erasure.job = job_create(
        tenant=approval.tenant,
        kind=ERASURE_JOB_KIND,
        task_name=ERASURE_TASK_NAME,
        params={"erasure_request": str(erasure.pk)},
    )
    erasure.save(update_fields=["job"])


def register_erasure_approvals() -> None:
    """Register the ``privacy.erasure`` approval kind (called from PrivacyConfig.ready)."""
    approval_kind_register(
        ERASURE_KIND, approver_roles=APPROVER_ROLES, on_approve=_start_erasure_job
    )


def erasure_execute(*, erasure: ErasureRequest, progress=None, cache_drop=None) -> dict:
    """Run an approved erasure (the job's body). Idempotent: erasing twice deletes nothing
    more and issues the same kind of certificate."""
    approval = erasure.approval
    if approval.state not in (ApprovalState.APPROVED, ApprovalState.EXECUTED):
        raise ValidationError({"state": [f"the request is {approval.state}, not approved"]})
    tenant = erasure.tenant
    kinds = list(data_kinds().values())
    counts: dict[str, int] = {}
    started = timezone.now()
    for done, kind in enumerate(kinds, 1):
        with transaction.atomic():
            if erasure.scope == ErasureScope.TENANT:
                erased = kind.erase_tenant(tenant)
            elif kind.erases(erasure.subject_kind):
                erased = kind.erase_subject(tenant, erasure.subject_kind, erasure.subject_ref)
            else:
                erased = {}
        for table, count in erased.items():
            counts[table] = counts.get(table, 0) + count
        if progress:
            progress(done, len(kinds) + 1)
    derived = {"cached_results": cache_drop(tenant.pk) if cache_drop else 0}
    # The platform's files: export archives quoting the subject (offboarding: every earlier
    # archive of the tenant; its own is the hand-over and stays).
    if erasure.scope == ErasureScope.TENANT:
        keep = offboarding_archive(erasure)
        derived["export_archives"] = export_archives_erase_tenant(tenant=tenant, keep=keep)
    else:
        derived["export_archives"] = export_archives_erase_subject(
            tenant=tenant, subject_id=erasure.subject_ref
        )
    if erasure.scope == ErasureScope.TENANT:
        derived["data_keys_destroyed"] = tenant_keys_destroy(tenant=tenant)
        Tenant.objects.filter(pk=tenant.pk).update(is_active=False)
    certificate = _certificate(erasure, counts=counts, derived=derived, started=started)
    with audited(
        tenant=tenant,
        action="privacy.erasure.execute",
        resource_type="privacy.erasure_request",
        resource_id=erasure.pk,
        row_count=sum(counts.values()),
        details={"scope": erasure.scope, "certificate_sig": certificate["sig"][:32]},
    ):
        erasure.certificate = certificate
        erasure.subject_ref = ""  # the identifier leaves with the data
        erasure.completed_at = timezone.now()
        erasure.save(update_fields=["certificate", "subject_ref", "completed_at"])
    if approval.state == ApprovalState.APPROVED:
        approval_mark_executed(request=approval, result={"rows": sum(counts.values())})
    if progress:
        progress(len(kinds) + 1, len(kinds) + 1)
    return certificate


def _certificate(erasure, *, counts, derived, started) -> dict:
    payload = {
        "type": "erasure-certificate",
        "v": 1,
        "erasure_request": str(erasure.pk),
        "tenant_id": str(erasure.tenant_id),
        "scope": erasure.scope,
        "subject_kind": erasure.subject_kind,
        "subject_digest": erasure.subject_digest,
        "requested_by": user_public_id(erasure.approval.requested_by_id),
        "approved_by": user_public_id(erasure.approval.decided_by_id),
        "approved_at": iso_timestamp(erasure.approval.decided_at),
        "started_at": iso_timestamp(started),
        "completed_at": iso_timestamp(timezone.now()),
        "deleted": dict(sorted(counts.items())),
        "derived": derived,
    }
    key_id, signature = sign({**payload, "key_id": _signing_key_id()})
    return {**payload, "key_id": key_id, "sig": signature}


def _signing_key_id() -> str:
    return key_ring().signing_id


def erasure_certificate_valid(certificate: dict) -> bool:
    """Whether the certificate's signature verifies under a trusted audit key."""
    payload = {k: v for k, v in certificate.items() if k != "sig"}
    return signature_valid(
        payload, key_id=certificate.get("key_id", ""), signature=certificate.get("sig", "")
    )
