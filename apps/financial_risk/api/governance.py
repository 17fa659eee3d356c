"""The model registry's governance actions (issue 22), mixed into ``RiskModelViewSet``:

- ``POST models/<id>/promote/``: retiring moves at once; entering champion or challenger is a
  promotion request (202, the gates' results in the body and on the card) when the tenant keeps
  four eyes on, else (four eyes off) the promotion itself through the gates (200);
- ``POST models/<id>/approve-promotion/`` and ``reject-promotion/`` (admin or model validator,
  never the requester): approving performs the promotion; ``override_justification`` overrides
  failed gates, recorded on the card and audited;
- ``GET models/<id>/gates/``: the gates evaluated now, for the tenant's thresholds.
"""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from apps.approvals.models import ApprovalRequest, ApprovalState
from apps.core.serializers import StrictSerializer
from apps.financial_risk.models import ModelState
from apps.financial_risk.services.gates import gate_results
from apps.financial_risk.services.governance import (
    PROMOTION_APPROVAL_KIND,
    risk_model_promote,
    risk_model_promotion_decide,
    risk_model_promotion_request,
)
from apps.financial_risk.services.governance_settings import governance_settings
from apps.registry.api import PromotionRequestSerializer, person_of, signed_in_person
from apps.registry.four_eyes import promotion_target
from apps.registry.services import PromotionError

from . import serializers as s


class PromotionAskSerializer(s.PromoteSerializer):
    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)


class PromotionDecisionSerializer(StrictSerializer):
    request = serializers.UUIDField()
    override_justification = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=4000
    )
    override_gates = serializers.BooleanField(required=False, default=False)

    def validate(self, attrs):
        if attrs["override_gates"] and not attrs["override_justification"].strip():
            raise ValidationError(
                {"override_justification": ["Overriding a failed gate needs a written reason."]}
            )
        return attrs


class PromotionActionsMixin:
    def _model_body(self, model, request, **extra):
        return {**s.RiskModelSerializer(model, context={"request": request}).data, **extra}

    @extend_schema(request=PromotionAskSerializer, responses={200: s.RiskModelSerializer})
    @action(detail=True, methods=["post"])
    def promote(self, request, pk=None):
        model = self.get_object()
        body = PromotionAskSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        state = body.validated_data["state"]
        four_eyes = governance_settings(request.tenant)["four_eyes"]
        try:
            if state == ModelState.RETIRED or not four_eyes:
                model = risk_model_promote(tenant=request.tenant, model=model, state=state)
                return Response(self._model_body(model, request))
            approval = risk_model_promotion_request(
                tenant=request.tenant,
                model=model,
                state=state,
                requested_by=person_of(request),
                reason=body.validated_data["reason"],
            )
        except PromotionError as exc:
            raise ValidationError({"state": [str(exc)]}) from exc
        model.refresh_from_db()
        return Response(
            {
                "promotion_request": PromotionRequestSerializer(approval).data,
                "gates": model.card.get("gates", {}).get("results", {}),
                "model": self._model_body(model, request),
            },
            status=status.HTTP_202_ACCEPTED,
        )

    def _decide(self, request, approve: bool):
        model = self.get_object()
        body = PromotionDecisionSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        approval = ApprovalRequest.objects.filter(
            tenant=request.tenant,
            pk=body.validated_data["request"],
            kind=PROMOTION_APPROVAL_KIND,
            target=promotion_target(model),
        ).first()
        if approval is None:
            raise ValidationError({"request": ["No promotion request of this model."]})
        try:
            model = risk_model_promotion_decide(
                tenant=request.tenant,
                approval=approval,
                user=signed_in_person(request),
                approve=approve,
                justification=body.validated_data["override_justification"],
            )
        except PromotionError as exc:
            raise ValidationError({"state": [str(exc)]}) from exc
        approval.refresh_from_db()
        return Response(
            self._model_body(
                model, request, promotion_request=PromotionRequestSerializer(approval).data
            )
        )

    @extend_schema(request=PromotionDecisionSerializer, responses={200: s.RiskModelSerializer})
    @action(detail=True, methods=["post"], url_path="approve-promotion")
    def approve_promotion(self, request, pk=None):
        return self._decide(request, approve=True)

    @extend_schema(request=PromotionDecisionSerializer, responses={200: s.RiskModelSerializer})
    @action(detail=True, methods=["post"], url_path="reject-promotion")
    def reject_promotion(self, request, pk=None):
        return self._decide(request, approve=False)

    @extend_schema(responses={200: OpenApiTypes.OBJECT})
    @action(detail=True, methods=["get"])
    def gates(self, request, pk=None):
        model = self.get_object()
        pending = ApprovalRequest.objects.filter(
            tenant=request.tenant,
            kind=PROMOTION_APPROVAL_KIND,
            target=promotion_target(model),
            state=ApprovalState.REQUESTED,
        )
        return Response(
            {
                "model": model.label,
                "results": gate_results(tenant=request.tenant, model=model),
                "recorded": model.card.get("gates"),
                "pending_requests": PromotionRequestSerializer(pending, many=True).data,
            }
        )
