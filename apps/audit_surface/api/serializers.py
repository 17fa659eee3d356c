from rest_framework import serializers

from apps.audit.models import AuditEvent


class AuditEventSerializer(serializers.ModelSerializer):
    """An audit event as auditors read it, hash-chain fields included."""

    tenant = serializers.UUIDField(source="tenant_id", read_only=True, allow_null=True)

    class Meta:
        model = AuditEvent
        fields = [
            "id",
            "tenant",
            "chain",
            "seq",
            "created_at",
            "actor_kind",
            "actor_id",
            "actor_label",
            "actor_role",
            "action",
            "resource_type",
            "resource_id",
            "request_id",
            "outcome",
            "status_code",
            "latency_ms",
            "model_name",
            "model_revision",
            "input_digest",
            "row_count",
            "details",
            "prev_hash",
            "hash",
        ]
        read_only_fields = fields
