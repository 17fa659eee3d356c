from rest_framework import serializers

from apps.core.serializers import StrictSerializer


class EmbedRequestSerializer(StrictSerializer):
    model = serializers.CharField(max_length=100, default="embed")
    texts = serializers.ListField(
        child=serializers.CharField(max_length=20_000, trim_whitespace=False),
        min_length=1,
        max_length=512,
    )
    cache = serializers.BooleanField(default=True, help_text="Use the result cache.")

    def validate_texts(self, texts):
        empty = [i for i, text in enumerate(texts) if not text.strip()]
        if empty:
            raise serializers.ValidationError(f"texts {empty} are empty.")
        return texts


class MessageSerializer(StrictSerializer):
    role = serializers.ChoiceField(choices=["system", "user", "assistant"])
    content = serializers.CharField(max_length=100_000, trim_whitespace=False)


class ChatRequestSerializer(StrictSerializer):
    model = serializers.CharField(max_length=100, default="chat")
    messages = MessageSerializer(many=True, allow_empty=False)
    max_new_tokens = serializers.IntegerField(min_value=1, max_value=8192, required=False)
    temperature = serializers.FloatField(min_value=0, max_value=2, default=0)
    top_p = serializers.FloatField(min_value=0.01, max_value=1, default=1)
    stop = serializers.ListField(
        child=serializers.CharField(max_length=100, trim_whitespace=False),
        max_length=8,
        default=list,
    )
    seed = serializers.IntegerField(required=False, min_value=0)
    ignore_eos = serializers.BooleanField(
        default=False, help_text="Generate exactly max_new_tokens (benchmarks)."
    )
    stream = serializers.BooleanField(default=False, help_text="Answer as server-sent events.")
    cache = serializers.BooleanField(default=True, help_text="Use the cache (greedy only).")
    adapter = serializers.RegexField(
        r"^[a-z0-9][a-z0-9_-]{0,62}$",
        required=False,
        help_text="Name of one of the tenant's promoted LoRA adapters for this model "
        "(/api/v1/adaptation/); another tenant's is not found (404).",
    )

    def validate(self, data):
        if data.get("ignore_eos") and "max_new_tokens" not in data:
            raise serializers.ValidationError({"max_new_tokens": ["Required with ignore_eos."]})
        return data


class TimingsSerializer(serializers.Serializer):
    queue_ms = serializers.FloatField()
    compute_ms = serializers.FloatField()
    batch_size = serializers.IntegerField()


class EmbedResponseSerializer(serializers.Serializer):
    model = serializers.CharField()
    revision = serializers.CharField()
    embeddings = serializers.ListField(child=serializers.ListField(child=serializers.FloatField()))
    usage = serializers.DictField()
    timings = TimingsSerializer()
    cached = serializers.BooleanField()


class ChatResponseSerializer(serializers.Serializer):
    model = serializers.CharField()
    revision = serializers.CharField()
    message = serializers.DictField()
    reasoning = serializers.CharField(allow_null=True)
    finish_reason = serializers.CharField()
    usage = serializers.DictField()
    timings = TimingsSerializer()
    cached = serializers.BooleanField()
    adapter = serializers.DictField(
        required=False, help_text="The adapter version that answered: name and digest."
    )
