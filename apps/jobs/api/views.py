import django_filters
from drf_spectacular.utils import extend_schema
from rest_framework.decorators import action
from rest_framework.response import Response

from apps.accounts.api.viewsets import TenantScopedReadOnlyViewSet
from apps.jobs.models import Job, JobState
from apps.jobs.selectors import jobs_of
from apps.jobs.services import job_cancel

from .serializers import JobSerializer


class JobFilter(django_filters.FilterSet):
    state = django_filters.ChoiceFilter(choices=JobState.choices)
    kind = django_filters.CharFilter()

    class Meta:
        model = Job
        fields = ["state", "kind"]


class JobViewSet(TenantScopedReadOnlyViewSet):
    """The tenant's background jobs: state, progress (done/total), result link, error.

    Any role of the tenant may read jobs (they carry counts and links, never the data itself);
    the result link is protected by its own endpoint's roles.
    """

    queryset = Job.objects.order_by("-created_at")
    serializer_class = JobSerializer
    filterset_class = JobFilter
    ordering_fields = ["created_at", "state"]

    def get_tenant_queryset(self, tenant):
        return jobs_of(tenant=tenant)

    @extend_schema(request=None, responses=JobSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        """Cancel a job that has not finished (its task stops at its next progress report)."""
        job = job_cancel(job=self.get_object())
        return Response(self.get_serializer(job).data)
