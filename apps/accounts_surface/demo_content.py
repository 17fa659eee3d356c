"""Demo content for a tenant being onboarded: each installed vertical's declared
``seed_command`` run for it (each is idempotent and audits its own writes). It takes minutes (the
risk demo trains a model), so the onboarding page starts it as a job (progress on the jobs API
and the console) and ``tenant_create --demo`` runs it in place."""

from __future__ import annotations

from django.core.management import call_command

from apps.accounts.models import Tenant
from apps.audit.services import audited
from apps.core.verticals import installed
from apps.jobs.services import job_create

DEMO_JOB_KIND = "accounts.demo_content"
DEMO_TASK_NAME = "apps.accounts_surface.tasks.tenant_demo_content_task"


def demo_seed_commands() -> list[tuple[str, str]]:
    """(vertical, seed command) for each installed vertical that declares demo content."""
    return [(v.name, v.seed_command) for v in installed() if v.seed_command]


class _Lines:
    """A command's stdout/stderr: keeps its lines, and passes them on to ``log``."""

    def __init__(self, lines: list[str], log):
        self.lines, self.log = lines, log

    def write(self, text: str) -> None:
        self.lines.extend(line for line in text.splitlines() if line.strip())
        if self.log and text.strip():
            self.log(text.rstrip())

    def flush(self) -> None:
        pass


def tenant_demo_content(*, tenant: Tenant, progress=None, log=None) -> dict[str, str]:
    """Seed every vertical's demo content into ``tenant``; returns {vertical: the command's last
    output line}. ``progress(done, total, message)`` after each vertical."""
    commands = demo_seed_commands()
    seeded: dict[str, str] = {}
    for index, (vertical, command) in enumerate(commands):
        if progress:
            progress(index, len(commands), f"{vertical}: {command}")
        lines: list[str] = []
        call_command(
            command, tenant=tenant.slug, stdout=_Lines(lines, log), stderr=_Lines(lines, log)
        )
        seeded[vertical] = lines[-1] if lines else ""
    if progress:
        progress(len(commands), len(commands), "demo content ready")
    return seeded


def tenant_demo_content_start(*, tenant: Tenant):
    """Queue ``tenant_demo_content`` as one of the tenant's jobs (audited in its chain)."""
    with audited(
        tenant=tenant, action="accounts.demo_content.start", resource_type="jobs.job"
    ) as event:
        job = job_create(tenant=tenant, kind=DEMO_JOB_KIND, task_name=DEMO_TASK_NAME)
        event.resource_id = job.pk
        event.details = {"verticals": [vertical for vertical, _ in demo_seed_commands()]}
    return job
