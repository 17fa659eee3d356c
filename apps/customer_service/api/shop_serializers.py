"""Serializers of the per-shop configuration: assistant settings, help-centre documents and
connectors (request bodies are strict: an unknown field is a 400 naming it)."""

from __future__ import annotations

from rest_framework import serializers

from apps.core.serializers import StrictSerializer
from apps.customer_service.models import (
    AssistantSettings,
    Chunk,
    Connector,
    ConnectorKind,
    Document,
    DocumentVersion,
)
from apps.jobs.api.serializers import JobSerializer


class AssistantSettingsSerializer(serializers.ModelSerializer):
    # Null until the tenant first saves its settings (the defaults are answered unsaved).
    updated_at = serializers.DateTimeField(read_only=True, allow_null=True)

    class Meta:
        model = AssistantSettings
        fields = [
            "brand_name",
            "brand_names",
            "persona",
            "tone",
            "languages",
            "default_language",
            "templates",
            "handoff_hours",
            "negative_handoff_threshold",
            "fallback_handoff_count",
            "grounding_enabled",
            "updated_at",
        ]
        read_only_fields = ["updated_at"]


class AssistantSettingsUpdateSerializer(StrictSerializer):
    brand_name = serializers.CharField(max_length=120, required=False)
    brand_names = serializers.DictField(child=serializers.CharField(max_length=120), required=False)
    persona = serializers.CharField(max_length=500, required=False, allow_blank=True)
    tone = serializers.CharField(max_length=300, required=False, allow_blank=True)
    languages = serializers.ListField(
        child=serializers.CharField(max_length=16), required=False, min_length=1
    )
    default_language = serializers.CharField(max_length=16, required=False)
    templates = serializers.DictField(
        child=serializers.DictField(child=serializers.CharField(max_length=2000)), required=False
    )
    handoff_hours = serializers.CharField(max_length=200, required=False, allow_blank=True)
    negative_handoff_threshold = serializers.FloatField(required=False, min_value=0.01, max_value=1)
    fallback_handoff_count = serializers.IntegerField(required=False, min_value=1, max_value=20)
    grounding_enabled = serializers.BooleanField(required=False)


class ChunkSerializer(serializers.ModelSerializer):
    class Meta:
        model = Chunk
        fields = ["id", "seq", "heading_path", "text", "node_key"]


class DocumentVersionSerializer(serializers.ModelSerializer):
    class Meta:
        model = DocumentVersion
        fields = ["number", "filename", "file_format", "sha256", "chunk_count", "created_at"]


class DocumentSerializer(serializers.ModelSerializer):
    class Meta:
        model = Document
        fields = ["id", "name", "title", "language", "version", "created_at", "updated_at"]


class DocumentDetailSerializer(DocumentSerializer):
    versions = DocumentVersionSerializer(many=True, read_only=True)
    chunks = ChunkSerializer(many=True, read_only=True)

    class Meta(DocumentSerializer.Meta):
        fields = [*DocumentSerializer.Meta.fields, "versions", "chunks"]


class DocumentsAddedSerializer(serializers.Serializer):
    """The answer to an upload (a ``services.documents.DocumentsAdded``)."""

    def to_representation(self, instance):
        job = instance.embedding_job
        return {
            "documents": DocumentSerializer(instance.documents, many=True).data,
            "new_versions": len(instance.versions),
            "chunks": sum(v.chunk_count for v in instance.versions),
            "embedding_job": JobSerializer(job).data if job else None,
        }


class DocumentUploadSerializer(StrictSerializer):
    file = serializers.FileField()
    name = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    language = serializers.ChoiceField(choices=["", "en", "zh"], required=False, default="")


class ConnectorSerializer(serializers.ModelSerializer):
    class Meta:
        model = Connector
        fields = [
            "id",
            "name",
            "kind",
            "base_url",
            "auth_header",
            "auth_secret",
            "mapping",
            "timeout_s",
            "retries",
            "breaker_threshold",
            "breaker_reset_s",
            "failures",
            "open_until",
            "active",
            "created_at",
        ]
        read_only_fields = ["id", "failures", "open_until", "created_at"]


class ConnectorSaveSerializer(StrictSerializer):
    name = serializers.SlugField(max_length=64, default="orders")
    kind = serializers.ChoiceField(choices=ConnectorKind.choices)
    base_url = serializers.URLField(required=False, allow_blank=True, default="")
    auth_header = serializers.CharField(max_length=100, required=False, allow_blank=True)
    auth_secret = serializers.CharField(max_length=100, required=False, allow_blank=True)
    mapping = serializers.DictField(required=False)
    timeout_s = serializers.FloatField(required=False, min_value=0.1, max_value=30)
    retries = serializers.IntegerField(required=False, min_value=0, max_value=5)
    breaker_threshold = serializers.IntegerField(required=False, min_value=1, max_value=100)
    breaker_reset_s = serializers.IntegerField(required=False, min_value=1, max_value=3600)
    active = serializers.BooleanField(required=False)
