"""The verticals' roles on their data and jobs, registered from their declarations.

The domain table (apps.accounts.domains) and the job-access table (apps.jobs.access) are read
on every request; a vertical fills its rows through its declaration (``data_domains`` and
``job_access`` in vertical.py) instead of an edit to those modules. Operations is the lowest
platform app that sees both tables, and its ready() runs once the verticals are loaded.
"""

from __future__ import annotations

from apps.accounts.domains import domain_register
from apps.core.verticals import Vertical, installed
from apps.jobs.access import JobAccess, job_access_register


def register(verticals: tuple[Vertical, ...] | None = None) -> None:
    """Register every installed vertical's data domains and job kinds (idempotent)."""
    for vertical in installed() if verticals is None else verticals:
        for domain in vertical.data_domains:
            domain_register(domain.name, read=domain.read, write=domain.write)
        for prefix, access in vertical.job_access.items():
            job_access_register(prefix, JobAccess(**access))
