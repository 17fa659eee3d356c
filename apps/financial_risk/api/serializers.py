"""Request and response bodies of /api/v1/risk/. Input serializers reject unknown fields."""

from __future__ import annotations

import json

from rest_framework import serializers
from rest_framework.reverse import reverse

from apps.core.public_ids import PublicIdField, public_id_of
from apps.core.serializers import StrictSerializer
from apps.core.uploads import UploadField
from apps.financial_risk.models import (
    BatchScoring,
    Dataset,
    DatasetKind,
    Decision,
    FraudRing,
    ModelState,
    MonitoringFinding,
    RiskAccount,
    RiskModel,
)

MAX_API_ROWS = 5000


def _url(name, obj, request, suffix="detail"):
    return reverse(f"financial_risk:{name}-{suffix}", args=[public_id_of(obj)], request=request)


class DatasetSerializer(serializers.ModelSerializer):
    class Meta:
        model = Dataset
        fields = [
            "id",
            "name",
            "kind",
            "schema",
            "digest",
            "row_count",
            "source_filename",
            "created_at",
        ]
        read_only_fields = fields


class JsonObjectField(serializers.JSONField):
    """A JSON object; in multipart form data it arrives as a string and is parsed here."""

    def to_internal_value(self, data):
        if isinstance(data, str):
            try:
                data = json.loads(data)
            except ValueError as exc:
                raise serializers.ValidationError(f"Not valid JSON: {exc}") from exc
        if not isinstance(data, dict):
            raise serializers.ValidationError("Must be a JSON object.")
        return data


class DatasetCreateSerializer(StrictSerializer):
    name = serializers.CharField(max_length=200)
    kind = serializers.ChoiceField(choices=DatasetKind.choices, default=DatasetKind.APPLICATIONS)
    schema = JsonObjectField(
        help_text='{"columns": {"name": "numeric|categorical|target|id|date"}, '
        '"protected": [...], "positive": "bad"}'
    )
    file = UploadField(
        kinds=("csv", "parquet"), required=False, help_text="CSV or Parquet (multipart upload)"
    )
    rows = serializers.ListField(
        child=serializers.DictField(),
        required=False,
        max_length=MAX_API_ROWS,
        help_text="Or the rows themselves as JSON objects",
    )

    def validate(self, attrs):
        if ("file" in attrs) == ("rows" in attrs):
            raise serializers.ValidationError({"file": ["Send either a file or rows (not both)."]})
        return attrs


class RiskModelSerializer(serializers.ModelSerializer):
    importance_url = serializers.SerializerMethodField()

    class Meta:
        model = RiskModel
        fields = [
            "id",
            "name",
            "version",
            "state",
            "purpose",
            "dataset",
            "job",
            "feature_config",
            "training_config",
            "decision_config",
            "card",
            "created_at",
            "promoted_at",
            "importance_url",
        ]
        read_only_fields = fields

    def get_importance_url(self, model) -> str:
        return _url("model", model, self.context.get("request"), "importance")


class RiskModelListSerializer(RiskModelSerializer):
    """The list leaves out the card's reference distributions (kilobytes per model)."""

    card = serializers.SerializerMethodField()

    def get_card(self, model) -> dict:
        return {k: v for k, v in (model.card or {}).items() if k != "reference"}


class TrainSerializer(StrictSerializer):
    dataset = serializers.UUIDField()
    name = serializers.SlugField(max_length=100)
    feature_config = JsonObjectField(required=False, default=None, allow_null=True)
    training_config = JsonObjectField(required=False, default=None, allow_null=True)
    decision_config = JsonObjectField(required=False, default=None, allow_null=True)


class PromoteSerializer(StrictSerializer):
    state = serializers.ChoiceField(
        choices=[ModelState.CHALLENGER, ModelState.CHAMPION, ModelState.RETIRED]
    )


class DecisionSerializer(serializers.ModelSerializer):
    model_label = serializers.CharField(source="model.label", read_only=True)
    waterfall_url = serializers.SerializerMethodField()

    class Meta:
        model = Decision
        fields = [
            "id",
            "model",
            "model_label",
            "batch",
            "row_number",
            "reference",
            "inputs",
            "probability",
            "points",
            "outcome",
            "reasons",
            "challenger",
            "challenger_probability",
            "challenger_outcome",
            "created_at",
            "waterfall_url",
        ]
        read_only_fields = fields

    def get_waterfall_url(self, decision) -> str:
        return _url("decision", decision, self.context.get("request"), "waterfall")


class DecisionCreateSerializer(StrictSerializer):
    applicant = JsonObjectField(help_text="column → value, as in the model's training data")
    model_name = serializers.SlugField(max_length=100, required=False, allow_blank=True)
    reference = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")


class BatchScoringSerializer(serializers.ModelSerializer):
    results_url = serializers.SerializerMethodField()

    class Meta:
        model = BatchScoring
        fields = [
            "id",
            "dataset",
            "model",
            "job",
            "row_count",
            "summary",
            "created_at",
            "results_url",
        ]
        read_only_fields = fields

    def get_results_url(self, batch) -> str:
        return _url("batch-scoring", batch, self.context.get("request"), "results")


class BatchScoringCreateSerializer(StrictSerializer):
    dataset = serializers.UUIDField()
    model = serializers.UUIDField()


class MonitoringFindingSerializer(serializers.ModelSerializer):
    class Meta:
        model = MonitoringFinding
        fields = [
            "id",
            "model",
            "run_id",
            "kind",
            "feature",
            "value",
            "alert",
            "details",
            "created_at",
        ]
        read_only_fields = fields


class FraudRingSerializer(serializers.ModelSerializer):
    class Meta:
        model = FraudRing
        fields = [
            "id",
            "size",
            "score",
            "confirmed_fraud_members",
            "shared_identifiers",
            "detected_at",
        ]
        read_only_fields = fields


class RiskAccountSerializer(serializers.ModelSerializer):
    id = PublicIdField()
    ring_score = serializers.FloatField(source="ring.score", read_only=True, default=None)
    ring_url = serializers.SerializerMethodField()

    class Meta:
        model = RiskAccount
        fields = [
            "id",
            "external_id",
            "confirmed_fraud",
            "ring",
            "ring_score",
            "ring_url",
            "created_at",
        ]
        read_only_fields = fields

    def get_ring_url(self, account) -> str:
        return _url("account", account, self.context.get("request"), "ring")


class RingDetectSerializer(StrictSerializer):
    max_accounts_per_identifier = serializers.IntegerField(
        min_value=2, max_value=10_000, required=False
    )
