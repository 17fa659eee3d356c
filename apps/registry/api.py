"""The four-eyes promotion actions of the registry's API (``apps.registry.promotions``), mixed
into the viewset of each kind that registered for four eyes:

- the kind's own ``promote`` action calls ``promote_or_request``: while the tenant asks for four
  eyes, entering champion or challenger becomes a promotion request (202, the request in the
  body); otherwise the promotion runs at once (200);
- ``POST <id>/approve-promotion/`` and ``reject-promotion/`` with ``{"request": <id>}``: a
  second person with an approver role decides; approving performs the promotion.
"""

from __future__ import annotations

from collections.abc import Callable

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from apps.accounts.models import ApiKey, Membership
from apps.approvals.models import ApprovalRequest
from apps.core.public_ids import UserRefField
from apps.core.serializers import StrictSerializer

from .promotions import (
    four_eyes_required,
    promotion_approval_of,
    promotion_decide,
    promotion_request,
)
from .services import PromotionError


class PromotionRequestSerializer(serializers.ModelSerializer):
    requested_by = UserRefField(source="requested_by_id")
    decided_by = UserRefField(source="decided_by_id")

    class Meta:
        model = ApprovalRequest
        fields = [
            "id",
            "kind",
            "target",
            "payload",
            "state",
            "requested_by",
            "reason",
            "decided_by",
            "justification",
            "created_at",
            "decided_at",
            "result",
        ]
        read_only_fields = fields


class PromotionReasonSerializer(StrictSerializer):
    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)


class FourEyesDecisionSerializer(StrictSerializer):
    request = serializers.UUIDField()


def signed_in_person(request):
    """The second person of a four-eyes decision: a signed-in member only. An API key is a
    bearer credential anyone holding it can use, so it cannot vouch for the person who made it."""
    return request.auth.user if isinstance(request.auth, Membership) else None


def person_of(request):
    """Four eyes are two people: a signed-in member, or an API key acting for the person who
    created it; a key that belongs to nobody has no person (None)."""
    if isinstance(request.auth, Membership):
        return request.auth.user
    if isinstance(request.auth, ApiKey) and request.auth.created_by_id:
        return request.auth.created_by
    return None


class FourEyesPromotionMixin:
    """For a viewset whose rows are versions of a four-eyes kind."""

    def version_body(self, version, request) -> dict:
        return self.get_serializer_class()(version, context={"request": request}).data

    def promote_or_request(
        self, request, *, version, state: str, promote: Callable[[], object]
    ) -> Response:
        """Promote now (``promote()``) or, under four eyes, file the request (202)."""
        body = PromotionReasonSerializer(data=request.data or {})
        body.is_valid(raise_exception=True)
        try:
            if not four_eyes_required(tenant=request.tenant, version=version):
                return Response(self.version_body(promote(), request))
            approval = promotion_request(
                tenant=request.tenant,
                version=version,
                state=state,
                requested_by=person_of(request),
                reason=body.validated_data["reason"],
            )
        except PromotionError as exc:
            raise ValidationError({"state": [str(exc)]}) from exc
        return Response(
            {
                "promotion_request": PromotionRequestSerializer(approval).data,
                "version": self.version_body(version, request),
            },
            status=status.HTTP_202_ACCEPTED,
        )

    def _decide(self, request, approve: bool) -> Response:
        version = self.get_object()
        body = FourEyesDecisionSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        approval = promotion_approval_of(
            tenant=request.tenant, version=version, approval_id=body.validated_data["request"]
        )
        if approval is None:
            raise ValidationError({"request": ["No promotion request of this version."]})
        try:
            version = promotion_decide(
                tenant=request.tenant,
                version=version,
                approval=approval,
                user=signed_in_person(request),
                approve=approve,
            )
        except PromotionError as exc:
            raise ValidationError({"state": [str(exc)]}) from exc
        approval.refresh_from_db()
        return Response(
            {
                **self.version_body(version, request),
                "promotion_request": PromotionRequestSerializer(approval).data,
            }
        )

    @extend_schema(request=FourEyesDecisionSerializer)
    @action(detail=True, methods=["post"], url_path="approve-promotion")
    def approve_promotion(self, request, pk=None):
        return self._decide(request, approve=True)

    @extend_schema(request=FourEyesDecisionSerializer)
    @action(detail=True, methods=["post"], url_path="reject-promotion")
    def reject_promotion(self, request, pk=None):
        return self._decide(request, approve=False)
