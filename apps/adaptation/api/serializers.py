"""Request and response bodies of /api/v1/adaptation/. Input serializers reject unknown
fields."""

from __future__ import annotations

import json

from rest_framework import serializers
from rest_framework.reverse import reverse

from apps.adaptation.engine.lora import LIMITS
from apps.adaptation.models import AdapterState, AdapterVersion, TrainingSet
from apps.adaptation.services.data import SOURCES
from apps.core.serializers import StrictSerializer
from apps.core.uploads import UploadField

MAX_UPLOAD_BYTES = 5 * 1024 * 1024


class TrainingSetSerializer(serializers.ModelSerializer):
    class Meta:
        model = TrainingSet
        fields = [
            "id",
            "name",
            "pair_count",
            "duplicates_dropped",
            "masked_fields",
            "digest",
            "source_filename",
            "created_at",
        ]
        read_only_fields = fields


class TrainingSetCreateSerializer(StrictSerializer):
    """A JSONL file (multipart ``file``) or its text (``jsonl``): one pair per line,
    ``{"prompt", "response"}`` or ``{"messages": [...]}`` ending with the assistant's answer."""

    name = serializers.CharField(max_length=200)
    file = UploadField(kinds=("jsonl", "json"), required=False, max_bytes=MAX_UPLOAD_BYTES)
    jsonl = serializers.CharField(
        required=False, trim_whitespace=False, max_length=MAX_UPLOAD_BYTES
    )

    def validate_file(self, upload):
        if upload.size > MAX_UPLOAD_BYTES:
            raise serializers.ValidationError(f"At most {MAX_UPLOAD_BYTES} bytes.")
        try:
            return upload.read().decode("utf-8")
        except UnicodeDecodeError as exc:
            raise serializers.ValidationError("Not UTF-8 text.") from exc

    def validate(self, data):
        if ("file" in data) == ("jsonl" in data):
            raise serializers.ValidationError({"file": ["Send either file or jsonl."]})
        return data


class AdapterTrainingConfigSerializer(StrictSerializer):
    """Overrides of the LoRA defaults, each within its limits."""

    def get_fields(self):
        fields = {}
        for name, (default, low, high) in LIMITS.items():
            field_class = (
                serializers.IntegerField if isinstance(default, int) else serializers.FloatField
            )
            fields[name] = field_class(
                required=False, min_value=low, max_value=high, help_text=f"default {default}"
            )
        fields["target_modules"] = serializers.ListField(
            child=serializers.ChoiceField(
                choices=[
                    "q_proj",
                    "k_proj",
                    "v_proj",
                    "o_proj",
                    "gate_proj",
                    "up_proj",
                    "down_proj",
                ]
            ),
            required=False,
            min_length=1,
        )
        return fields


class AdapterTrainSerializer(StrictSerializer):
    name = serializers.RegexField(
        r"^[a-z0-9][a-z0-9_-]{0,62}$",
        help_text="The adapter's name (lower case, digits, - and _); chat requests use it.",
    )
    base_model = serializers.CharField(max_length=100, default="chat")
    sources = serializers.ListField(
        child=serializers.ChoiceField(choices=list(SOURCES)), default=list, max_length=3
    )
    training_set = serializers.UUIDField(required=False, allow_null=True)
    training_config = AdapterTrainingConfigSerializer(required=False, default=dict)


class AdapterListSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()
    # The registry's champion is "promoted" here, as it always was.
    state = serializers.ChoiceField(
        choices=AdapterState.choices, source="state_name", read_only=True
    )

    class Meta:
        model = AdapterVersion
        fields = [
            "id",
            "url",
            "name",
            "version",
            "base_model",
            "state",
            "digest",
            "created_at",
            "promoted_at",
        ]
        read_only_fields = fields

    def get_url(self, obj) -> str:
        return reverse(
            "adaptation:adapter-detail", args=[obj.pk], request=self.context.get("request")
        )


class AdapterSerializer(AdapterListSerializer):
    class Meta(AdapterListSerializer.Meta):
        fields = AdapterListSerializer.Meta.fields + [
            "data_digest",
            "training_config",
            "evaluation",
            "card",
            "job",
        ]
        read_only_fields = fields


def as_json_text(value) -> str:
    return json.dumps(value, ensure_ascii=False)
