"""/api/v1/risk/: transactions (ingested one by one or in batches), real-time scoring at
``transactions/score`` with an Idempotency-Key, the stored fraud decisions and fraud-model
training. Thin: validate, call a service or selector, serialize.

Roles: admins and analysts only, reads included (transactions and the fraud graph are the
analysts' domain).
"""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response

from apps.accounts.roles import Role
from apps.core.errors import problem_response
from apps.core.public_ids import PublicIdLookupMixin
from apps.financial_risk import selectors
from apps.financial_risk.engine.data import SchemaError
from apps.financial_risk.models import FraudDecision, Transaction, TransactionImport
from apps.financial_risk.services.fraud_imports import transaction_import_start
from apps.financial_risk.services.fraud_models import fraud_model_train_start
from apps.financial_risk.services.fraud_scoring import IdempotencyConflict, transaction_score
from apps.financial_risk.services.fraud_transactions import transactions_ingest
from apps.jobs.api.serializers import JobSerializer
from apps.surface.viewsets import (
    PlatformAPIView,
    TenantScopedCreateListRetrieveViewSet,
    TenantScopedMixin,
)

from . import fraud_serializers as fs
from .views import accepted, invalid

FRAUD_ROLES = {Role.ADMIN, Role.ANALYST}
IDEMPOTENCY_KEY = OpenApiParameter(
    "Idempotency-Key", OpenApiTypes.STR, OpenApiParameter.HEADER, required=False,
    description="a retry with the same key gets the same decision and stores nothing new",
)  # fmt: skip


class TransactionViewSet(
    PublicIdLookupMixin,
    TenantScopedMixin,
    mixins.CreateModelMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Transactions. POST one transaction, or ``{"transactions": [...]}`` (up to 10,000, e.g.
    labelled history for training); card numbers are tokenised on arrival."""

    queryset = Transaction.objects.order_by("-occurred_at", "-id")
    serializer_class = fs.TransactionSerializer
    allowed_roles = FRAUD_ROLES
    filterset_fields = ["reference", "is_fraud", "channel", "country"]

    def get_tenant_queryset(self, tenant):
        return selectors.transactions_of(tenant=tenant).select_related("account")

    @extend_schema(request=fs.TransactionBatchSerializer, responses={201: OpenApiTypes.OBJECT})
    def create(self, request):
        many = isinstance(request.data, dict) and "transactions" in request.data
        body = (fs.TransactionBatchSerializer if many else fs.TransactionInSerializer)(
            data=request.data
        )
        body.is_valid(raise_exception=True)
        rows = body.validated_data["transactions"] if many else [body.validated_data]
        stored = transactions_ingest(tenant=request.tenant, rows=rows)
        return Response(
            {"created": len(stored), "ids": [str(t.public_id) for t in stored]},
            status=status.HTTP_201_CREATED,
        )


class TransactionImportViewSet(TenantScopedCreateListRetrieveViewSet):
    """Transactions as a CSV file (multipart ``file``; columns as the API's fields, header
    first), stored by a job (202 + job URL): card numbers are tokenised on arrival, a file with
    any bad row is rejected whole with errors naming row (the file's line) and field, and
    nothing of it is stored. GET shows each import's state, counts and errors."""

    queryset = TransactionImport.objects.order_by("-created_at")
    serializer_class = fs.TransactionImportSerializer
    parser_classes = [MultiPartParser]
    allowed_roles = FRAUD_ROLES

    def get_tenant_queryset(self, tenant):
        return selectors.transaction_imports_of(tenant=tenant)

    @extend_schema(request=fs.TransactionImportCreateSerializer, responses={202: JobSerializer})
    def create(self, request):
        body = fs.TransactionImportCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        upload = body.validated_data["file"]
        try:
            imported = transaction_import_start(
                tenant=request.tenant, content=upload.read(), filename=upload.name or ""
            )
        except SchemaError as exc:
            raise invalid(exc) from exc
        response = accepted(imported.job, request)
        response.data["import_id"] = str(imported.pk)
        response.data["import_url"] = request.build_absolute_uri(
            f"/api/v1/risk/transaction-imports/{imported.pk}/"
        )
        return response


class TransactionScoreView(PlatformAPIView):
    """Score a transaction as it happens: features as of its time, the champion fraud model's
    probability, SHAP reasons in words and a decision (allow, review, block). The transaction
    and the decision are stored; the same ``Idempotency-Key`` returns the same answer."""

    allowed_roles = FRAUD_ROLES

    @extend_schema(
        request=fs.ScoreInSerializer,
        parameters=[IDEMPOTENCY_KEY],
        responses={201: fs.FraudDecisionSerializer, 200: fs.FraudDecisionSerializer},
    )
    def post(self, request):
        key = request.headers.get("Idempotency-Key", "").strip()
        if len(key) > 100:
            raise ValidationError({"Idempotency-Key": ["At most 100 characters."]})
        body = fs.ScoreInSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            decision, replayed = transaction_score(
                tenant=request.tenant, clean=body.validated_data, idempotency_key=key
            )
        except SchemaError as exc:
            raise invalid(exc) from exc
        except IdempotencyConflict as exc:
            return problem_response(422, exc, errors={"Idempotency-Key": [str(exc)]})
        code = status.HTTP_200_OK if replayed else status.HTTP_201_CREATED
        response = Response(fs.fraud_decision_data(decision), status=code)
        response["Idempotent-Replayed"] = "true" if replayed else "false"
        return response


class FraudDecisionViewSet(TenantScopedMixin, viewsets.ReadOnlyModelViewSet):
    """Stored fraud decisions, newest first, with their transaction, features and reasons."""

    queryset = FraudDecision.objects.order_by("-created_at")
    serializer_class = fs.FraudDecisionSerializer
    allowed_roles = FRAUD_ROLES
    filterset_fields = ["outcome", "model"]

    def get_tenant_queryset(self, tenant):
        return selectors.fraud_decisions_of(tenant=tenant).select_related(
            "transaction__account", "model"
        )


class FraudModelTrainView(PlatformAPIView):
    """POST trains a fraud model version from the labelled transactions as a job (202). The
    versions are listed at ``/models/?purpose=fraud`` and promoted through
    ``/models/<id>/promote/``, like every version of the registry."""

    allowed_roles = FRAUD_ROLES

    @extend_schema(request=fs.FraudModelTrainSerializer, responses={202: OpenApiTypes.OBJECT})
    def post(self, request):
        body = fs.FraudModelTrainSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            job = fraud_model_train_start(tenant=request.tenant, name=body.validated_data["name"])
        except SchemaError as exc:
            raise invalid(exc) from exc
        return accepted(job, request)
