"""Bodies of the transaction-fraud endpoints. ``card_number`` is write-only, checked without
ever being echoed back, and replaced by its token before anything else sees it."""

from __future__ import annotations

from decimal import Decimal

from rest_framework import serializers

from apps.core.public_ids import PublicIdField
from apps.core.serializers import StrictSerializer, StrictTypesMixin
from apps.core.uploads import UploadField
from apps.financial_risk.engine.fraud_features import CHANNELS, MAX_AMOUNT_CENTS
from apps.financial_risk.models import FraudDecision, Transaction, TransactionImport
from apps.financial_risk.services.fraud_transactions import (
    CARD_NUMBER_PROBLEM,
    CARD_NUMBER_REFUSED,
    card_number_digits,
    card_token,
)

MAX_BATCH = 10_000


class TransactionInSerializer(StrictSerializer):
    account = serializers.CharField(max_length=100)
    amount = serializers.DecimalField(
        max_digits=12, decimal_places=2, min_value=Decimal("0.01"),
        max_value=Decimal(MAX_AMOUNT_CENTS) / 100,
    )  # fmt: skip
    currency = serializers.RegexField(r"^[A-Z]{3}$", max_length=3)
    occurred_at = serializers.DateTimeField()
    merchant_category = serializers.IntegerField(min_value=0, max_value=9999)
    device_id = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    ip_address = serializers.IPAddressField(required=False, allow_blank=True, default="")
    channel = serializers.ChoiceField(choices=CHANNELS)
    country = serializers.RegexField(r"^[A-Z]{2}$", max_length=2)
    card_number = serializers.CharField(
        write_only=True, required=False, allow_blank=True, default="", max_length=23,
        trim_whitespace=True,
    )  # fmt: skip
    reference = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    is_fraud = serializers.BooleanField(required=False, default=False)

    def validate_card_number(self, value: str) -> str:
        # The message never repeats the value: a mistyped card number must not reach logs.
        digits = card_number_digits(value)
        if digits is None:
            raise serializers.ValidationError(CARD_NUMBER_PROBLEM)
        return digits

    def validate(self, attrs):
        number = attrs.pop("card_number", "")
        attrs["card"] = card_token(number) if number else ""
        return attrs


class ScoreInSerializer(TransactionInSerializer):
    is_fraud = None  # a label is not known when a payment is scored


class TransactionCsvRowSerializer(TransactionInSerializer):
    """A row of an uploaded CSV file as the import job reads it: the card number was replaced
    by its token (``card``) when the file arrived, or marked as refused."""

    card_number = None
    card = serializers.CharField(required=False, allow_blank=True, default="", max_length=64)

    def to_internal_value(self, data):
        # CSV cells are text by nature, like the multipart forms and query strings that
        # ``StrictTypesMixin`` exempts: the fields parse them as DRF does ("5411" is an
        # integer, "true" a boolean). The JSON body's strict types apply to the API path only.
        # (Unknown columns were refused with the file's header: ``fraud_imports._header``.)
        return super(StrictTypesMixin, self).to_internal_value(data)

    def validate_card(self, value: str) -> str:
        if value == CARD_NUMBER_REFUSED:
            raise serializers.ValidationError(CARD_NUMBER_PROBLEM)
        return value

    def validate(self, attrs):
        return attrs


class TransactionBatchSerializer(StrictSerializer):
    transactions = TransactionInSerializer(many=True, allow_empty=False, max_length=MAX_BATCH)


class TransactionSerializer(serializers.ModelSerializer):
    id = PublicIdField()
    account = serializers.CharField(source="account.external_id", read_only=True)
    card_token = serializers.CharField(source="card", read_only=True)

    class Meta:
        model = Transaction
        fields = [
            "id", "account", "reference", "amount", "currency", "occurred_at",
            "merchant_category", "channel", "country", "device_id", "ip_address", "card_token",
            "is_fraud",
        ]  # fmt: skip
        read_only_fields = fields


class FraudDecisionSerializer(serializers.ModelSerializer):
    decision = serializers.CharField(source="outcome", read_only=True)
    transaction = TransactionSerializer(read_only=True)
    model_label = serializers.CharField(source="model.label", read_only=True)

    class Meta:
        model = FraudDecision
        fields = [
            "id", "transaction", "probability", "decision", "reasons", "features",
            "model", "model_label", "feature_path", "idempotency_key", "created_at",
            "audited_at",
        ]  # fmt: skip
        read_only_fields = fields


class FraudModelTrainSerializer(StrictSerializer):
    name = serializers.SlugField(max_length=100, required=False, default="fraud")


# The scoring answer, built directly: ``FraudDecisionSerializer`` (a ModelSerializer with a
# nested one) rebuilds its fields from the models on every instance, which cost more CPU than
# the scoring itself. The same fields and the same formatting (DRF's own field classes for
# the decimal and the times); a test compares both renderings.
_AMOUNT = serializers.DecimalField(max_digits=12, decimal_places=2)
_PUBLIC_ID = PublicIdField()  # ``TransactionSerializer.id``: the opaque id, never the key
_TIME = serializers.DateTimeField()


def _time(value):
    return None if value is None else _TIME.to_representation(value)


def fraud_decision_data(decision: FraudDecision) -> dict:
    """``FraudDecisionSerializer(decision).data`` for the scoring endpoint's answer."""
    t = decision.transaction
    return {
        "id": str(decision.pk),
        "transaction": {
            "id": _PUBLIC_ID.to_representation(t.public_id),
            "account": t.account.external_id, "reference": t.reference,
            "amount": _AMOUNT.to_representation(t.amount), "currency": t.currency,
            "occurred_at": _time(t.occurred_at), "merchant_category": t.merchant_category,
            "channel": t.channel, "country": t.country, "device_id": t.device_id,
            "ip_address": t.ip_address, "card_token": t.card, "is_fraud": t.is_fraud,
        },
        "probability": decision.probability,
        "decision": decision.outcome,
        "reasons": decision.reasons,
        "features": decision.features,
        "model": decision.model_id,
        "model_label": decision.model.label,
        "feature_path": decision.feature_path,
        "idempotency_key": decision.idempotency_key,
        "created_at": _time(decision.created_at),
        "audited_at": _time(decision.audited_at),
    }  # fmt: skip


class TransactionImportCreateSerializer(StrictSerializer):
    file = UploadField(kinds=("csv",))


class TransactionImportSerializer(serializers.ModelSerializer):
    class Meta:
        model = TransactionImport
        fields = [
            "id", "filename", "state", "row_count", "stored_count", "error_count", "errors",
            "job", "created_at", "finished_at",
        ]  # fmt: skip
        read_only_fields = fields
