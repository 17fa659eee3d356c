from django.db.models import QuerySet

from .models import Job


def jobs_of(*, tenant) -> QuerySet[Job]:
    """A tenant's jobs, newest first."""
    return Job.objects.filter(tenant=tenant)
