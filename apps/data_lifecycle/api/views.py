"""``/api/v1/privacy/erasure-requests/``: four-eyes erasure of a data subject or a tenant."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from apps.accounts.models import ApiKey, Membership
from apps.accounts.roles import Role
from apps.approvals.services import approval_approve, approval_reject
from apps.data_lifecycle.erasure import erasure_request_create
from apps.privacy.models import ErasureRequest
from apps.surface.viewsets import TenantScopedCreateListRetrieveViewSet

from .serializers import (
    ErasureDecisionSerializer,
    ErasureRequestCreateSerializer,
    ErasureRequestSerializer,
)


def _person(request):
    """Four eyes are two people: a signed-in member, or an API key acting for the person who
    created it; a key that belongs to nobody may neither request nor decide an erasure."""
    if isinstance(request.auth, Membership):
        return request.auth.user
    if isinstance(request.auth, ApiKey) and request.auth.created_by_id:
        return request.auth.created_by
    raise PermissionDenied("erasure requests are made and decided by people, not by a bare key")


class ErasureRequestViewSet(TenantScopedCreateListRetrieveViewSet):
    """Erasure requests of the tenant: an admin requests, a different admin approves (or
    rejects); approval starts the erasure job, whose certificate appears on the request."""

    queryset = ErasureRequest.objects.select_related("approval").order_by("-created_at")
    serializer_class = ErasureRequestSerializer
    allowed_roles = {Role.ADMIN}

    @extend_schema(
        request=ErasureRequestCreateSerializer, responses={201: ErasureRequestSerializer}
    )
    def create(self, request):
        body = ErasureRequestCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        erasure = erasure_request_create(
            tenant=request.tenant,
            requested_by=_person(request),
            scope=body.validated_data["scope"],
            subject_kind=body.validated_data.get("subject_kind", ""),
            subject_id=body.validated_data.get("subject_id", ""),
            reason=body.validated_data["reason"],
        )
        data = ErasureRequestSerializer(erasure, context={"request": request}).data
        return Response(data, status=status.HTTP_201_CREATED)

    def _decide(self, request, decide):
        erasure = self.get_object()
        body = ErasureDecisionSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        decide(
            request=erasure.approval,
            user=_person(request),
            justification=body.validated_data.get("justification", ""),
        )
        erasure.refresh_from_db()
        data = ErasureRequestSerializer(erasure, context={"request": request}).data
        return Response(data, status=status.HTTP_202_ACCEPTED if erasure.job_id else 200)

    @extend_schema(request=ErasureDecisionSerializer, responses={202: ErasureRequestSerializer})
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        """Approve (a different admin than the requester); starts the erasure job."""
        return self._decide(request, approval_approve)

    @extend_schema(request=ErasureDecisionSerializer, responses={200: ErasureRequestSerializer})
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        """Reject (a different admin than the requester)."""
        return self._decide(request, approval_reject)
