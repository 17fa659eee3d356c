"""Explanations over /api/v1/risk/, mixed into the decision and model viewsets:

- a decision's reasons carry phrases in the language of the request's ``Accept-Language``
  (English or Chinese), else the tenant's ``reason_language``, with the applicant's value; the
  answer says which (``Content-Language``);
- a decision (create and retrieve) carries ``explanation``: base value E[f(X)], f(x), the
  calibration that maps f(x) to the probability, every column's SHAP value;
- ``GET decisions/<id>/waterfall/`` is PNG, ``?picture=svg`` SVG (both drawn by shap);
- ``GET models/<id>/model-card/``: the model card as one self-contained HTML file
  (``?as=pdf``: a PDF).
"""

from __future__ import annotations

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError

from apps.financial_risk.engine.reason_phrases import pick_language
from apps.financial_risk.services.explanations import (
    decision_explained,
    decision_waterfall,
    decision_waterfall_png,
    reasons_in,
    tenant_language,
)
from apps.financial_risk.services.model_card import model_card_html, model_card_pdf

from . import serializers as s

PICTURES = ("png", "svg")
CARD_FORMATS = ("html", "pdf")


def request_language(request) -> str:
    fallback = tenant_language(request.tenant) if getattr(request, "tenant", None) else "en"
    return pick_language(request.META.get("HTTP_ACCEPT_LANGUAGE", ""), fallback)


class LocalizedDecisionSerializer(s.DecisionSerializer):
    """Reasons with phrases in the context's ``language``."""

    def to_representation(self, instance):
        body = super().to_representation(instance)
        language = self.context.get("language")
        if language:
            body["reasons"] = reasons_in(instance, language)
        return body


class DecisionDetailSerializer(LocalizedDecisionSerializer):
    explanation = serializers.SerializerMethodField()

    class Meta(s.DecisionSerializer.Meta):
        fields = [*s.DecisionSerializer.Meta.fields, "explanation"]
        read_only_fields = fields

    def get_explanation(self, decision) -> dict:
        return decision_explained(decision)


class DecisionExplanationMixin:
    def get_serializer_class(self):
        if self.action == "list":
            return LocalizedDecisionSerializer
        return DecisionDetailSerializer

    def get_serializer_context(self):
        context = super().get_serializer_context()
        if getattr(self.request, "tenant", None) is not None:
            context["language"] = request_language(self.request)
        return context

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        if getattr(request, "tenant", None) is not None and "Content-Language" not in response:
            response["Content-Language"] = request_language(request)
        return response

    @extend_schema(
        parameters=[OpenApiParameter("picture", str, enum=PICTURES, required=False)],
        responses={200: OpenApiResponse(OpenApiTypes.BINARY, description="image/png or svg")},
    )
    @action(detail=True, methods=["get"])
    def waterfall(self, request, pk=None):
        decision = self.get_object()
        kind = request.query_params.get("picture", "png")
        if kind not in PICTURES:
            raise ValidationError({"picture": [f"One of {', '.join(PICTURES)}."]})
        if kind == "svg":
            response = HttpResponse(decision_waterfall(decision), content_type="image/svg+xml")
        else:
            response = HttpResponse(decision_waterfall_png(decision), content_type="image/png")
        response["Content-Disposition"] = f'inline; filename="decision-{decision.pk}.{kind}"'
        return response


class ModelCardMixin:
    @extend_schema(
        parameters=[OpenApiParameter("as", str, enum=CARD_FORMATS, required=False)],
        responses={200: OpenApiResponse(OpenApiTypes.BINARY, description="text/html or PDF")},
    )
    @action(detail=True, methods=["get"], url_path="model-card")
    def model_card(self, request, pk=None):
        model = self.get_object()
        kind = request.query_params.get("as", "html")
        if kind not in CARD_FORMATS:
            raise ValidationError({"as": [f"One of {', '.join(CARD_FORMATS)}."]})
        if kind == "pdf":
            response = HttpResponse(model_card_pdf(model), content_type="application/pdf")
        else:
            response = HttpResponse(model_card_html(model), content_type="text/html; charset=utf-8")
        name = f"model-card-{model.name}-v{model.version}.{kind}"
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response
