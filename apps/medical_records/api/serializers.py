"""Request and response bodies of /api/v1/medical/. Input serializers reject unknown fields."""

from __future__ import annotations

from rest_framework import serializers

from apps.core.serializers import StrictSerializer
from apps.core.uploads import UploadField
from apps.medical_records.models import BatchFormat, Extraction, Finding, Note, NoteBatch

LANGUAGE_CHOICES = [("en", "English"), ("zh", "Chinese")]
MAX_TEXT = 100_000


class TextField(serializers.CharField):
    """A string and only a string: DRF's CharField would turn 5 or true into "5"/"True"."""

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class NoteCreateSerializer(StrictSerializer):
    text = TextField(max_length=MAX_TEXT, trim_whitespace=False)
    language = serializers.ChoiceField(choices=LANGUAGE_CHOICES, required=False)
    title = TextField(max_length=200, required=False, allow_blank=True)
    patient_name = TextField(
        max_length=200,
        required=False,
        allow_blank=True,
        help_text="Known patient name (pseudonymised too)",
    )
    mrn = TextField(max_length=64, required=False, allow_blank=True)


class NoteUploadSerializer(StrictSerializer):
    file = UploadField(kinds=("text",), help_text="A UTF-8 text file holding one note")
    language = serializers.ChoiceField(choices=LANGUAGE_CHOICES, required=False)
    title = serializers.CharField(max_length=200, required=False, allow_blank=True)


class Hl7MessageSerializer(StrictSerializer):
    message = TextField(
        max_length=MAX_TEXT,
        trim_whitespace=False,
        help_text="An HL7 v2 ORU^R01 or MDM^T02 message (ER7; segments separated by CR or LF)",
    )


class BatchCreateSerializer(StrictSerializer):
    file = UploadField(kinds=("csv", "jsonl"), help_text="CSV with a 'text' column, or JSONL")
    format = serializers.ChoiceField(
        choices=BatchFormat.choices, required=False, help_text="Default: from the file name"
    )


class FindingSerializer(serializers.ModelSerializer):
    class Meta:
        model = Finding
        fields = ["id", "note", "kind", "rule", "severity", "message", "evidence", "created_at"]


class ExtractionSerializer(serializers.ModelSerializer):
    class Meta:
        model = Extraction
        fields = [
            "id",
            "note",
            "pipeline_version",
            "graph_version",
            "entities",
            "summary",
            "summary_model",
            "summary_flags",
            "summary_unsafe",
            "created_at",
        ]


class NoteSerializer(serializers.ModelSerializer):
    patient = serializers.CharField(
        source="patient.pseudonym", read_only=True, default=None, allow_null=True
    )

    class Meta:
        model = Note
        fields = [
            "id",
            "source",
            "language",
            "title",
            "patient",
            "phi_counts",
            "batch",
            "created_at",
        ]


class NoteDetailSerializer(NoteSerializer):
    extraction = ExtractionSerializer(read_only=True)
    findings = FindingSerializer(many=True, read_only=True)

    class Meta(NoteSerializer.Meta):
        fields = [*NoteSerializer.Meta.fields, "text", "phi_spans", "extraction", "findings"]


class NoteBatchSerializer(serializers.ModelSerializer):
    job = serializers.UUIDField(source="job_id", read_only=True)
    job_state = serializers.CharField(source="job.state", read_only=True, default=None)

    class Meta:
        model = NoteBatch
        fields = ["id", "format", "total", "structured", "job", "job_state", "created_at"]


# The summary of an extraction (services.extraction_summarize). A comment, not a docstring: a
# docstring would become the schema's description, and the schema stays as it was.
class SummarySerializer(serializers.Serializer):
    summary = serializers.CharField()
    model = serializers.CharField(source="summary_model")
    flags = serializers.ListField(child=serializers.DictField(), source="summary_flags")
    unsafe = serializers.BooleanField(source="summary_unsafe")


class ReidentifiedSerializer(serializers.Serializer):
    note = serializers.UUIDField()
    text = serializers.CharField()
