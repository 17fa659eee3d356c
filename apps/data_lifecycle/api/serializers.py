from rest_framework import serializers

from apps.core.public_ids import UserRefField
from apps.core.serializers import StrictSerializer
from apps.privacy.models import ErasureRequest, ErasureScope


class ErasureRequestCreateSerializer(StrictSerializer):
    scope = serializers.ChoiceField(choices=ErasureScope.choices)
    subject_kind = serializers.CharField(max_length=32, required=False, allow_blank=True)
    subject_id = serializers.CharField(max_length=200, required=False, allow_blank=True)
    reason = serializers.CharField(max_length=2000)


class ErasureDecisionSerializer(StrictSerializer):
    justification = serializers.CharField(max_length=2000, required=False, allow_blank=True)


class ErasureRequestSerializer(serializers.ModelSerializer):
    state = serializers.CharField(source="approval.state", read_only=True)
    requested_by = UserRefField(source="approval.requested_by_id")
    decided_by = UserRefField(source="approval.decided_by_id")
    reason = serializers.CharField(source="approval.reason", read_only=True)
    job = serializers.CharField(source="job_id", read_only=True)

    class Meta:
        model = ErasureRequest
        fields = [
            "id",
            "scope",
            "subject_kind",
            "subject_digest",
            "state",
            "requested_by",
            "decided_by",
            "reason",
            "job",
            "certificate",
            "created_at",
            "completed_at",
        ]
        read_only_fields = fields
