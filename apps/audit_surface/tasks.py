"""The audit log's background job: verifying a tenant's chain (``apps.jobs``).

The checkpoint and anchor tasks need no job and stay with the chain (``apps.audit.tasks``).
"""

from apps.audit.verification import audit_chains_verify
from apps.jobs.runner import job_task

from .verifications import VERIFY_TASK_NAME


# The task keeps the name it had in apps.audit.tasks: queued messages, stored jobs and the task
# routes refer to it by that name.
@job_task(name=VERIFY_TASK_NAME)
def audit_verify_task(job, progress) -> dict:
    """Verify the job's tenant's audit chain and checkpoints, reporting events done/total.

    Started by ``audit_verification_start`` (POST /api/v1/audit/verifications/). The result is
    ``VerificationResult.as_dict()``: ``ok`` and the problems found, first one first.
    """
    return audit_chains_verify(tenant=job.tenant, progress=progress).as_dict()
