"""/api/v1/risk/: datasets, model registry, decisions, batch scoring, monitoring findings,
accounts and fraud rings. Thin: validate, call a service or selector, serialize.

Roles: admins and analysts write; auditors read (decisions, models, findings) for review.
"""

from __future__ import annotations

import django_filters
from django.http import HttpResponse, StreamingHttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import JSONParser, MultiPartParser
from rest_framework.response import Response

from apps.accounts.roles import Role
from apps.core.public_ids import PublicIdLookupMixin
from apps.financial_risk import selectors, services
from apps.financial_risk.engine.data import SchemaError
from apps.financial_risk.engine.features import FeatureConfigError
from apps.financial_risk.models import (
    Alert,
    BatchScoring,
    Dataset,
    Decision,
    FindingKind,
    FraudRing,
    ModelPurpose,
    ModelState,
    MonitoringFinding,
    Outcome,
    RiskAccount,
    RiskModel,
)
from apps.financial_risk.services.governance import APPROVER_ROLES
from apps.financial_risk.services.rings import (
    account_ring,
    account_ring_png,
    fraud_rings_detect_start,
)
from apps.jobs.api.serializers import JobSerializer
from apps.surface.viewsets import (
    TenantScopedCreateListRetrieveViewSet,
    TenantScopedMixin,
    TenantScopedReadOnlyViewSet,
)

from . import serializers as s
from .explanations import DecisionExplanationMixin, ModelCardMixin
from .governance import PromotionActionsMixin

WRITERS = {Role.ADMIN, Role.ANALYST}
READERS = {Role.ADMIN, Role.ANALYST, Role.AUDITOR}
ROLES = {"read": READERS, "write": WRITERS}
APPROVERS = set(APPROVER_ROLES)
PNG = OpenApiResponse(OpenApiTypes.BINARY, description="image/png")


def invalid(exc: Exception) -> ValidationError:
    """A service's validation error as the API's 400 (errors keyed by field)."""
    errors = getattr(exc, "errors", None) or {"non_field_errors": [str(exc)]}
    return ValidationError(errors)


def accepted(job, request) -> Response:
    body = JobSerializer(job, context={"request": request}).data
    return Response(body, status=status.HTTP_202_ACCEPTED, headers={"Location": body["url"]})


def png(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type="image/png")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    return response


class DatasetViewSet(TenantScopedCreateListRetrieveViewSet):
    """Datasets: upload a CSV or Parquet file (multipart, with ``schema`` as JSON) or send
    ``rows`` as JSON; validated against the declared schema (errors name column and row)."""

    queryset = Dataset.objects.order_by("-created_at")
    serializer_class = s.DatasetSerializer
    parser_classes = [JSONParser, MultiPartParser]
    allowed_roles = ROLES
    filterset_fields = ["kind", "name"]

    def get_tenant_queryset(self, tenant):
        return selectors.datasets_of(tenant=tenant)

    @extend_schema(request=s.DatasetCreateSerializer, responses={201: s.DatasetSerializer})
    def create(self, request):
        body = s.DatasetCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        upload = data.get("file")
        try:
            dataset = services.dataset_create(
                tenant=request.tenant,
                name=data["name"],
                kind=data["kind"],
                schema=data["schema"],
                content=upload.read() if upload else None,
                filename=upload.name if upload else "",
                rows=data.get("rows"),
            )
        except SchemaError as exc:
            raise invalid(exc) from exc
        return Response(self.get_serializer(dataset).data, status=status.HTTP_201_CREATED)


class RiskModelFilter(django_filters.FilterSet):
    state = django_filters.ChoiceFilter(choices=ModelState.choices)
    name = django_filters.CharFilter()
    purpose = django_filters.ChoiceFilter(choices=ModelPurpose.choices)  # credit or fraud

    class Meta:
        model = RiskModel
        fields = ["state", "name", "purpose"]


class RiskModelViewSet(
    ModelCardMixin, PromotionActionsMixin, TenantScopedCreateListRetrieveViewSet
):
    """The model registry. POST trains a new version as a job (202); ``promote`` moves a
    version through draft → challenger → champion → retired, with the gates and four eyes of
    ``api.governance`` (approve-promotion, reject-promotion, gates); ``importance`` is the global
    importance picture; ``model-card`` the model card (HTML or PDF, ``api.explanations``);
    ``monitor`` runs drift monitoring now; ``shadow-report`` compares a challenger with the
    champion on live decisions."""

    queryset = RiskModel.objects.order_by("name", "-version")
    serializer_class = s.RiskModelSerializer
    filterset_class = RiskModelFilter
    # Model validators read the registry and decide promotions; they write nothing else.
    allowed_roles = {
        "read": READERS | {Role.MODEL_VALIDATOR},
        "write": WRITERS,
        "approve_promotion": APPROVERS,
        "reject_promotion": APPROVERS,
    }

    def get_tenant_queryset(self, tenant):
        return selectors.risk_models_of(tenant=tenant)

    def get_serializer_class(self):
        return s.RiskModelListSerializer if self.action == "list" else s.RiskModelSerializer

    @extend_schema(request=s.TrainSerializer, responses={202: JobSerializer})
    def create(self, request):
        body = s.TrainSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        dataset = selectors.datasets_of(tenant=request.tenant).filter(pk=data["dataset"]).first()
        if dataset is None:
            raise ValidationError({"dataset": ["No such dataset."]})
        try:
            job = services.risk_model_train_start(
                tenant=request.tenant,
                dataset=dataset,
                name=data["name"],
                feature_config=data["feature_config"],
                training_config=data["training_config"],
                decision_config=data["decision_config"],
            )
        except (SchemaError, FeatureConfigError) as exc:
            raise invalid(exc) from exc
        return accepted(job, request)

    @extend_schema(responses={200: PNG})
    @action(detail=True, methods=["get"])
    def importance(self, request, pk=None):
        model = self.get_object()
        return png(services.risk_model_importance_png(model), f"{model.name}-v{model.version}.png")

    @extend_schema(request=None, responses={202: JobSerializer})
    @action(detail=True, methods=["post"])
    def monitor(self, request, pk=None):
        return accepted(
            services.monitoring_start(tenant=request.tenant, model=self.get_object()), request
        )

    @extend_schema(responses={200: OpenApiTypes.OBJECT})
    @action(detail=True, methods=["get"], url_path="shadow-report")
    def shadow_report(self, request, pk=None):
        return Response(services.shadow_report(tenant=request.tenant, challenger=self.get_object()))


class DecisionFilter(django_filters.FilterSet):
    outcome = django_filters.ChoiceFilter(choices=Outcome.choices)
    model = django_filters.UUIDFilter()
    batch = django_filters.UUIDFilter()
    reference = django_filters.CharFilter()

    class Meta:
        model = Decision
        fields = ["outcome", "model", "batch", "reference"]


class DecisionViewSet(DecisionExplanationMixin, TenantScopedCreateListRetrieveViewSet):
    """Decisions: POST scores one applicant with the champion (the challenger in shadow) and
    returns probability of default, points, outcome, the top reason codes (phrases in the
    request's language) and the explanation; ``waterfall`` is the SHAP waterfall picture of a
    decision (``api.explanations``)."""

    queryset = Decision.objects.order_by("-created_at")
    serializer_class = s.DecisionSerializer
    filterset_class = DecisionFilter
    allowed_roles = ROLES

    def get_tenant_queryset(self, tenant):
        return selectors.decisions_of(tenant=tenant)

    @extend_schema(request=s.DecisionCreateSerializer, responses={201: s.DecisionSerializer})
    def create(self, request):
        body = s.DecisionCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        try:
            decision = services.decision_create(
                tenant=request.tenant,
                applicant=data["applicant"],
                model_name=data.get("model_name") or None,
                reference=data.get("reference", ""),
            )
        except SchemaError as exc:
            raise invalid(exc) from exc
        return Response(self.get_serializer(decision).data, status=status.HTTP_201_CREATED)


class BatchScoringViewSet(TenantScopedCreateListRetrieveViewSet):
    """Batch scoring of a dataset as a job (202 + job URL); ``results`` streams the decisions
    as CSV once the job succeeded."""

    queryset = BatchScoring.objects.order_by("-created_at")
    serializer_class = s.BatchScoringSerializer
    allowed_roles = ROLES

    def get_tenant_queryset(self, tenant):
        return selectors.batch_scorings_of(tenant=tenant)

    @extend_schema(request=s.BatchScoringCreateSerializer, responses={202: JobSerializer})
    def create(self, request):
        body = s.BatchScoringCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        dataset = selectors.datasets_of(tenant=request.tenant).filter(pk=data["dataset"]).first()
        model = selectors.risk_models_of(tenant=request.tenant).filter(pk=data["model"]).first()
        errors = {}
        if dataset is None:
            errors["dataset"] = ["No such dataset."]
        if model is None:
            errors["model"] = ["No such model."]
        if errors:
            raise ValidationError(errors)
        try:
            batch = services.batch_scoring_start(
                tenant=request.tenant, dataset=dataset, model=model
            )
        except SchemaError as exc:
            raise invalid(exc) from exc
        return accepted(batch.job, request)

    @extend_schema(responses={200: OpenApiResponse(OpenApiTypes.STR, description="text/csv")})
    @action(detail=True, methods=["get"])
    def results(self, request, pk=None):
        batch = self.get_object()
        if batch.job is None or batch.job.state != "succeeded":
            raise ValidationError({"batch": ["The batch has not finished scoring yet."]})
        response = StreamingHttpResponse(services.batch_results_csv(batch), content_type="text/csv")
        response["Content-Disposition"] = f'attachment; filename="decisions-{batch.pk}.csv"'
        return response


class FindingFilter(django_filters.FilterSet):
    alert = django_filters.ChoiceFilter(choices=Alert.choices)
    kind = django_filters.ChoiceFilter(choices=FindingKind.choices)
    model = django_filters.UUIDFilter()
    run_id = django_filters.UUIDFilter()

    class Meta:
        model = MonitoringFinding
        fields = ["alert", "kind", "model", "run_id"]


class MonitoringFindingViewSet(TenantScopedReadOnlyViewSet):
    """Drift findings (PSI per feature and score, adversarial validation) with alert states."""

    queryset = MonitoringFinding.objects.order_by("-created_at")
    serializer_class = s.MonitoringFindingSerializer
    filterset_class = FindingFilter
    allowed_roles = READERS

    def get_tenant_queryset(self, tenant):
        return selectors.findings_of(tenant=tenant)


class FraudRingViewSet(TenantScopedReadOnlyViewSet):
    """Fraud rings found by the last detection; POST ``detect`` re-runs it as a job."""

    queryset = FraudRing.objects.order_by("-score")
    serializer_class = s.FraudRingSerializer
    allowed_roles = {"list": READERS, "retrieve": READERS, "detect": WRITERS}

    def get_tenant_queryset(self, tenant):
        return selectors.rings_of(tenant=tenant)

    @extend_schema(request=s.RingDetectSerializer, responses={202: JobSerializer})
    @action(detail=False, methods=["post"])
    def detect(self, request):
        body = s.RingDetectSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        job = fraud_rings_detect_start(
            tenant=request.tenant,
            max_accounts_per_identifier=body.validated_data.get("max_accounts_per_identifier"),
        )
        return accepted(job, request)


class RiskAccountViewSet(
    PublicIdLookupMixin,
    TenantScopedMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Accounts seen in transactions; ``ring`` shows the fraud ring an account belongs to (its
    members, the identifiers they share, the score) and ``ring/picture`` draws it."""

    queryset = RiskAccount.objects.order_by("external_id")
    serializer_class = s.RiskAccountSerializer
    allowed_roles = READERS
    filterset_fields = ["external_id", "confirmed_fraud"]

    def get_tenant_queryset(self, tenant):
        return selectors.accounts_of(tenant=tenant)

    @extend_schema(responses={200: OpenApiTypes.OBJECT})
    @action(detail=True, methods=["get"])
    def ring(self, request, pk=None):
        account = self.get_object()
        body = account_ring(tenant=request.tenant, account=account)
        body["picture_url"] = request.build_absolute_uri(
            f"/api/v1/risk/accounts/{account.public_id}/ring/picture/"
        )
        return Response(body)

    @extend_schema(responses={200: PNG})
    @action(detail=True, methods=["get"], url_path="ring/picture")
    def ring_picture(self, request, pk=None):
        account = self.get_object()
        return png(
            account_ring_png(tenant=request.tenant, account=account),
            f"ring-{account.public_id}.png",
        )
