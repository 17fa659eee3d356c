"""/api/v1/customer-service/ratings/, reviews/ and reports/: ratings of assistant replies, the
review queue of low-rated ones (an admin approves a correction or dismisses the item) and the
ratings reports by intent. Thin: validate, call a service or selector, serialize."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.response import Response

from apps.accounts.roles import Role
from apps.customer_service import selectors, services
from apps.customer_service.models import Rating, RatingsReport, ReviewItem
from apps.surface.viewsets import (
    TenantScopedCreateListRetrieveViewSet,
    TenantScopedReadOnlyViewSet,
)

from . import serializers as s
from .common import READERS, ROLES, invalid


class RatingViewSet(TenantScopedCreateListRetrieveViewSet):
    """Ratings (1–5) of assistant replies by users or agents; 2 or less opens a review."""

    queryset = Rating.objects.order_by("-created_at")
    serializer_class = s.RatingSerializer
    allowed_roles = ROLES

    def get_tenant_queryset(self, tenant):
        return selectors.ratings_of(tenant=tenant)

    def create(self, request):
        body = self.get_serializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        try:
            rating = services.rating_create(
                tenant=request.tenant,
                turn=data["turn"],
                score=data["score"],
                rater=data["rater"],
                comment=data.get("comment", ""),
            )
        except services.ReviewError as exc:
            raise invalid(exc) from exc
        return Response(self.get_serializer(rating).data, status=status.HTTP_201_CREATED)


class ReviewItemViewSet(TenantScopedReadOnlyViewSet):
    """The review queue of low-rated replies; an admin approves a correction (a training
    example for an intent, or an FAQ entry) or dismisses the item."""

    queryset = ReviewItem.objects.order_by("-created_at")
    serializer_class = s.ReviewItemSerializer
    allowed_roles = {"read": READERS, "approve": {Role.ADMIN}, "dismiss": {Role.ADMIN}}
    filterset_fields = ["state"]

    def get_tenant_queryset(self, tenant):
        return selectors.reviews_of(tenant=tenant)

    @extend_schema(request=s.ReviewApproveSerializer, responses=s.ReviewItemSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        item = self.get_object()
        body = s.ReviewApproveSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        user = request.user if getattr(request.user, "is_authenticated", False) else None
        try:
            item = services.review_approve(
                tenant=request.tenant, item=item, user=user, **body.validated_data
            )
        except services.ReviewError as exc:
            raise invalid(exc) from exc
        return Response(self.get_serializer(item).data)

    @extend_schema(request=None, responses=s.ReviewItemSerializer)
    @action(detail=True, methods=["post"])
    def dismiss(self, request, pk=None):
        item = self.get_object()
        user = request.user if getattr(request.user, "is_authenticated", False) else None
        item = services.review_dismiss(tenant=request.tenant, item=item, user=user)
        return Response(self.get_serializer(item).data)


class RatingsReportViewSet(TenantScopedCreateListRetrieveViewSet):
    """Ratings by intent; POST makes one now (``days``, default 7); celery-beat makes one
    weekly."""

    queryset = RatingsReport.objects.order_by("-created_at")
    serializer_class = s.RatingsReportSerializer
    allowed_roles = ROLES

    def get_tenant_queryset(self, tenant):
        return selectors.reports_of(tenant=tenant)

    @extend_schema(request=s.ReportCreateSerializer, responses={201: s.RatingsReportSerializer})
    def create(self, request):
        body = s.ReportCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        report = services.ratings_report_create(
            tenant=request.tenant, days=body.validated_data["days"]
        )
        return Response(self.get_serializer(report).data, status=status.HTTP_201_CREATED)
