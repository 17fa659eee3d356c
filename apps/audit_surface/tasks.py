"""The audit log's background job: verifying a tenant's chain (``apps.jobs``).

The checkpoint and anchor tasks need no job and stay with the chain (``apps.audit.tasks``).
"""

from apps.audit.verification import audit_chains_verify
from apps.audit.verification_result import VerificationResult
from apps.jobs.runner import job_task
from apps.notifications.alerts import OPERATIONS_DOMAIN, Severity, alert_raise

from .verifications import VERIFY_TASK_NAME


def verification_failure_alert(*, tenant, result: VerificationResult):
    """A verification that found problems raises a critical alert of the platform's
    ``operations`` domain (auditors see it, admins acknowledge it), one open per tenant."""
    first = result.first_problem
    return alert_raise(
        tenant=tenant,
        source="audit.verification",
        severity=Severity.CRITICAL,
        title=f"Audit chain verification found {len(result.problems)} problem(s)",
        dedup_key="chain",
        domain=OPERATIONS_DOMAIN,
        details={
            "problems": len(result.problems),
            "first_kind": first.kind,
            "first_seq": first.seq,
            "events": result.events,
        },
    )


# The task keeps the name it had in apps.audit.tasks: queued messages, stored jobs and the task
# routes refer to it by that name.
@job_task(name=VERIFY_TASK_NAME)
def audit_verify_task(job, progress) -> dict:
    """Verify the job's tenant's audit chain and checkpoints, reporting events done/total.

    Started by ``audit_verification_start`` (POST /api/v1/audit/verifications/). The result is
    ``VerificationResult.as_dict()``: ``ok`` and the problems found, first one first; a result
    with problems raises an alert (``verification_failure_alert``).
    """
    result = audit_chains_verify(tenant=job.tenant, progress=progress)
    if not result.ok:
        verification_failure_alert(tenant=job.tenant, result=result)
    return result.as_dict()
