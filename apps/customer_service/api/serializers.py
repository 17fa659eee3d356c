"""Request and response bodies of /api/v1/customer-service/."""

from __future__ import annotations

from rest_framework import serializers

from apps.core.serializers import StrictModelSerializer, StrictSerializer
from apps.core.uploads import UploadField
from apps.customer_service.models import (
    Conversation,
    ConversationStatus,
    CorrectionKind,
    DemoOrder,
    ExampleSplit,
    Handoff,
    Intent,
    IntentModel,
    Rating,
    RatingsReport,
    ReviewItem,
    TrainingExample,
    Turn,
)

SLOT_NAMES = ("order_number", "product", "email")


class IntentSerializer(StrictModelSerializer):
    required_slots = serializers.ListField(
        child=serializers.ChoiceField(choices=SLOT_NAMES), required=False, max_length=5
    )
    example_count = serializers.IntegerField(read_only=True, source="examples.count")

    class Meta:
        model = Intent
        fields = ["id", "name", "description", "required_slots", "example_count", "created_at"]
        read_only_fields = ["id", "created_at"]


class TrainingExampleSerializer(StrictModelSerializer):
    intent = serializers.SlugRelatedField(slug_field="name", queryset=Intent.objects.none())
    split = serializers.ChoiceField(choices=ExampleSplit.choices, default=ExampleSplit.TRAIN)

    class Meta:
        model = TrainingExample
        fields = ["id", "intent", "text", "split", "source", "created_at"]
        read_only_fields = ["id", "source", "created_at"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None and getattr(request, "tenant", None) is not None:
            self.fields["intent"].queryset = Intent.objects.filter(tenant=request.tenant)


class ExampleImportSerializer(StrictSerializer):
    file = UploadField(kinds=("csv",), required=False, help_text="CSV: intent,text[,split]")
    csv = serializers.CharField(required=False, max_length=2_000_000, help_text="the CSV as text")

    def validate(self, attrs):
        if not attrs.get("file") and not attrs.get("csv"):
            raise serializers.ValidationError({"file": ["send a CSV file or the csv field"]})
        return attrs


class IntentModelSerializer(serializers.ModelSerializer):
    # The registry's champion, under the name (and the schema) the API has always had; the
    # serializer only answers, nothing writes through it.
    active = serializers.BooleanField(required=False)

    class Meta:
        model = IntentModel
        fields = [
            "id",
            "version",
            "active",
            "embedding_model",
            "fallback_threshold",
            "ambiguity_margin",
            "example_count",
            "report",
            "job",
            "created_at",
        ]


class IntentTrainSerializer(StrictSerializer):
    threshold = serializers.FloatField(default=0.4, min_value=0.0, max_value=1.0)
    ambiguity_margin = serializers.FloatField(default=0.1, min_value=0.0, max_value=1.0)


class PredictSerializer(StrictSerializer):
    text = serializers.CharField(max_length=2000)
    top_k = serializers.IntegerField(default=3, min_value=1, max_value=20)


class TurnSerializer(serializers.ModelSerializer):
    class Meta:
        model = Turn
        fields = [
            "id",
            "seq",
            "role",
            "text",
            "intent",
            "confidence",
            "fallback",
            "slots",
            "sources",
            "sentiment",
            "sentiment_score",
            "model_name",
            "created_at",
        ]


class ConversationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Conversation
        fields = [
            "id",
            "channel",
            "status",
            "slots",
            "active_form",
            "requested_slot",
            "created_at",
            "updated_at",
        ]


class ConversationDetailSerializer(ConversationSerializer):
    turns = TurnSerializer(many=True, read_only=True)

    class Meta(ConversationSerializer.Meta):
        fields = [*ConversationSerializer.Meta.fields, "turns"]


class ConversationStartSerializer(StrictSerializer):
    channel = serializers.ChoiceField(choices=["api", "web"], default="api")


class ConversationMessageSerializer(StrictSerializer):
    text = serializers.CharField(max_length=2000, trim_whitespace=True)
    stream = serializers.BooleanField(default=False)


class SentimentSerializer(serializers.Serializer):
    label = serializers.CharField(allow_null=True)
    score = serializers.FloatField(allow_null=True)


class ReplySerializer(serializers.Serializer):
    conversation = serializers.UUIDField()
    status = serializers.CharField()
    user_turn = serializers.UUIDField()
    turn = serializers.UUIDField(allow_null=True)
    reply = serializers.CharField(allow_null=True)
    intent = serializers.CharField(allow_null=True)
    confidence = serializers.FloatField(allow_null=True)
    fallback = serializers.BooleanField()
    ranking = serializers.ListField(child=serializers.DictField())
    slots = serializers.DictField()
    requested_slot = serializers.CharField(allow_null=True)
    sources = serializers.ListField(child=serializers.CharField())
    no_answer = serializers.BooleanField()
    sentiment = SentimentSerializer()
    handoff = serializers.BooleanField()
    handoff_reason = serializers.CharField(allow_null=True)
    timings = serializers.DictField()

    def to_representation(self, instance):
        """The reply body of a handled message (a ``services.MessageOutcome``)."""
        plan, conversation = instance.plan, instance.conversation
        return {
            "conversation": str(conversation.pk),
            "status": conversation.status,
            "user_turn": str(instance.user_turn.pk),
            "turn": str(instance.reply_turn.pk) if instance.reply_turn else None,
            "reply": instance.reply,
            "intent": plan.intent or None,
            "confidence": plan.confidence,
            "fallback": plan.fallback,
            "ranking": plan.ranking,
            "slots": {k: v for k, v in plan.slots.items() if not k.endswith("_label")},
            "requested_slot": plan.requested_slot or None,
            "sources": plan.sources,
            "citations": plan.citations,
            "language": plan.language,
            "support_score": plan.support_score,
            "grounding": plan.grounding or None,
            "pending_confirmation": bool(plan.pending),
            "paused_form": plan.paused_form or None,
            "no_answer": plan.no_answer,
            "sentiment": {"label": plan.sentiment or None, "score": plan.sentiment_score},
            "handoff": conversation.status == ConversationStatus.HANDOFF,
            "handoff_reason": plan.handoff_reason or None,
            "timings": plan.timings,
        }


class AgentReplySerializer(StrictSerializer):
    text = serializers.CharField(max_length=4000)


class HandoffCloseSerializer(StrictSerializer):
    back_to_assistant = serializers.BooleanField(default=True)


class HandoffSerializer(serializers.ModelSerializer):
    class Meta:
        model = Handoff
        fields = ["id", "conversation", "reason", "state", "created_at", "closed_at"]


class RatingSerializer(StrictModelSerializer):
    turn = serializers.PrimaryKeyRelatedField(queryset=Turn.objects.none())
    score = serializers.IntegerField(min_value=1, max_value=5)
    rater = serializers.ChoiceField(choices=["user", "agent"], default="user")

    class Meta:
        model = Rating
        fields = ["id", "turn", "score", "rater", "comment", "created_at"]
        read_only_fields = ["id", "created_at"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None and getattr(request, "tenant", None) is not None:
            self.fields["turn"].queryset = Turn.objects.filter(tenant=request.tenant)


class ReviewItemSerializer(serializers.ModelSerializer):
    reply = serializers.CharField(source="turn.masked_text", read_only=True)
    reply_intent = serializers.CharField(source="turn.intent", read_only=True)

    class Meta:
        model = ReviewItem
        fields = [
            "id",
            "turn",
            "reply",
            "reply_intent",
            "state",
            "kind",
            "correction",
            "intent",
            "faq_key",
            "created_at",
            "resolved_at",
        ]


class ReviewApproveSerializer(StrictSerializer):
    kind = serializers.ChoiceField(choices=CorrectionKind.choices)
    correction = serializers.CharField(
        required=False, default="", allow_blank=True, max_length=4000
    )
    intent = serializers.SlugField(required=False, default="", allow_blank=True, max_length=64)


class RatingsReportSerializer(serializers.ModelSerializer):
    class Meta:
        model = RatingsReport
        fields = ["id", "period_start", "period_end", "summary", "created_at"]


class ReportCreateSerializer(StrictSerializer):
    days = serializers.IntegerField(default=7, min_value=1, max_value=366)


class DemoOrderSerializer(serializers.ModelSerializer):
    class Meta:
        model = DemoOrder
        fields = ["id", "number", "status", "product_key", "tracking", "created_at"]
