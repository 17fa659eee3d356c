import django_filters
from django.db.models import Q
from drf_spectacular.utils import extend_schema
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from apps.accounts.models import Membership
from apps.jobs.access import job_allows, readable_kinds_q
from apps.jobs.models import Job, JobState
from apps.jobs.selectors import jobs_of
from apps.jobs.services import job_cancel
from apps.surface.viewsets import TenantScopedReadOnlyViewSet

from .serializers import JobSerializer


class JobFilter(django_filters.FilterSet):
    state = django_filters.ChoiceFilter(choices=JobState.choices)
    kind = django_filters.CharFilter()

    class Meta:
        model = Job
        fields = ["state", "kind"]


class JobViewSet(TenantScopedReadOnlyViewSet):
    """The tenant's background jobs: state, progress (done/total), result link, error.

    Each job kind declares who reads and cancels it (``apps.jobs.access``): a job of another
    domain is absent (404), and cancelling needs the kind's cancel roles (403); whoever started
    a job may always read and cancel it.
    """

    queryset = Job.objects.order_by("-created_at")
    serializer_class = JobSerializer
    filterset_class = JobFilter
    ordering_fields = ["created_at", "state"]

    def get_tenant_queryset(self, tenant):
        credential = self.request.auth
        own = Q(actor__kind="api_key", actor__id=str(credential.pk))
        if isinstance(credential, Membership):
            own = Q(actor__kind="user", actor__id=credential.user_id)
        return jobs_of(tenant=tenant).filter(readable_kinds_q(credential.role) | own)

    @extend_schema(request=None, responses=JobSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        """Cancel a job that has not finished (its task stops at its next progress report)."""
        job = self.get_object()
        if not job_allows(job, request.auth, "cancel"):
            raise PermissionDenied(f"Your role ({request.role}) may not cancel {job.kind} jobs.")
        job = job_cancel(job=job)
        return Response(self.get_serializer(job).data)
