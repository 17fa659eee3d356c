"""Reads of approval requests, tenant-scoped."""

from django.db.models import QuerySet

from .models import ApprovalRequest


def approval_requests_of(*, tenant, kind: str | None = None) -> QuerySet[ApprovalRequest]:
    """``tenant``'s approval requests (of ``kind`` only, when given), newest first."""
    requests = ApprovalRequest.objects.filter(tenant=tenant)
    return requests.filter(kind=kind) if kind else requests
