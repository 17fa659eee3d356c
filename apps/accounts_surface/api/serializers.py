from django.utils import timezone
from rest_framework import serializers

from apps.accounts.models import ApiKey, Membership, UsageCounter
from apps.accounts.roles import Role
from apps.core.public_ids import PublicIdField
from apps.core.serializers import StrictSerializer


class ApiKeySerializer(serializers.ModelSerializer):
    is_active = serializers.SerializerMethodField()

    class Meta:
        model = ApiKey
        fields = [
            "id",
            "name",
            "prefix",
            "role",
            "rate_limit",
            "created_at",
            "expires_at",
            "revoked_at",
            "last_used_at",
            "is_active",
        ]
        read_only_fields = fields

    def get_is_active(self, api_key) -> bool:
        expired = api_key.expires_at is not None and api_key.expires_at <= timezone.now()
        return api_key.revoked_at is None and not expired


class ApiKeyCreateSerializer(StrictSerializer):
    name = serializers.CharField(max_length=100)
    role = serializers.ChoiceField(choices=Role.choices)
    expires_at = serializers.DateTimeField(required=False, allow_null=True)
    rate_limit = serializers.RegexField(
        r"^\d+/(s|sec|m|min|h|hour|d|day)$", required=False, allow_blank=True, default=""
    )

    def validate_expires_at(self, value):
        if value is not None and value <= timezone.now():
            raise serializers.ValidationError("Must be in the future.")
        return value


class ApiKeyCreatedSerializer(ApiKeySerializer):
    token = serializers.CharField(help_text="The secret. Shown only in this response.")

    class Meta(ApiKeySerializer.Meta):
        fields = [*ApiKeySerializer.Meta.fields, "token"]
        read_only_fields = fields


class MembershipSerializer(serializers.ModelSerializer):
    id = PublicIdField()
    username = serializers.CharField(source="user.username", read_only=True)

    class Meta:
        model = Membership
        fields = ["id", "username", "role", "created_at"]
        read_only_fields = ["id", "username", "created_at"]


class MembershipCreateSerializer(StrictSerializer):
    username = serializers.CharField(max_length=150)
    role = serializers.ChoiceField(choices=Role.choices)


class InvitationSentSerializer(serializers.Serializer):
    detail = serializers.CharField()


class MembershipUpdateSerializer(StrictSerializer):
    role = serializers.ChoiceField(choices=Role.choices)


class UsageSerializer(serializers.ModelSerializer):
    id = PublicIdField()

    class Meta:
        model = UsageCounter
        fields = ["id", "metric", "day", "value"]
        read_only_fields = fields


class WhoAmISerializer(serializers.Serializer):
    tenant = serializers.CharField()
    tenant_name = serializers.CharField()
    role = serializers.CharField()
    actor = serializers.DictField()
    quotas = serializers.DictField()
