"""Tables of the customer-service vertical: intents and their examples, trained intent-model
versions, conversations with their turns, handoffs to people, ratings, the review queue, rating
reports and the demo orders table that the order actions read. Every row belongs to one tenant."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models

from apps.privacy.fields import EncryptedJSONField, EncryptedTextField
from apps.registry.models import ModelState, VersionedModel, versioned_constraints


class Intent(models.Model):
    """What a user may want (``order_status``, ``refund``…). ``required_slots`` is the intent's
    form: the assistant asks for each missing slot before it acts or answers."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    tenant = models.ForeignKey("accounts.Tenant", on_delete=models.CASCADE, related_name="+")
    name = models.SlugField(max_length=64)
    description = models.CharField(max_length=300, blank=True, default="")
    required_slots = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "name"], name="cs_intent_name_per_tenant")
        ]

    def __str__(self) -> str:
        return self.name


class ExampleSplit(models.TextChoices):
    TRAIN = "train", "Training"
    TEST = "test", "Held-out test"


class TrainingExample(models.Model):
    """One labelled utterance. The held-out ``test`` split is never trained on; it is what
    each training's evaluation report measures."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    tenant = models.ForeignKey("accounts.Tenant", on_delete=models.CASCADE, related_name="+")
    intent = models.ForeignKey(Intent, on_delete=models.CASCADE, related_name="examples")
    text = models.CharField(max_length=500)
    split = models.CharField(max_length=8, choices=ExampleSplit.choices, default=ExampleSplit.TRAIN)
    source = models.CharField(max_length=64, blank=True, default="api")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["intent__name", "text"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "text"], name="cs_example_text_per_tenant")
        ]

    def __str__(self) -> str:
        return f"{self.intent.name}: {self.text[:60]}"


class IntentModel(VersionedModel):
    """A trained version (``apps.registry``; one family per tenant): the classifier over
    embeddings (and the sentiment classifier), the fallback settings and the evaluation report
    (per-intent precision/recall/F1, confusion matrix) measured on the held-out split. Training
    makes the new version the champion, which answers; ``active`` is the API's word for it."""

    family_fields = ("tenant",)

    embedding_model = models.CharField(max_length=200, default="")
    classifier = models.JSONField(default=dict, help_text="fitted intent classifier")
    sentiment = models.JSONField(default=dict, help_text="fitted sentiment classifier")
    fallback_threshold = models.FloatField(default=0.4)
    ambiguity_margin = models.FloatField(default=0.1)
    report = models.JSONField(default=dict, help_text="evaluation on the held-out split")
    example_count = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-version"]
        constraints = versioned_constraints("cs_intent_model", ("tenant",))

    def __str__(self) -> str:
        return f"intents v{self.version}"

    @property
    def active(self) -> bool:
        """The version that answers (the registry's champion)."""
        return self.state == ModelState.CHAMPION

    def audit_identity(self) -> tuple[str, str]:
        return "intents", f"v{self.version}"


class ConversationStatus(models.TextChoices):
    ACTIVE = "active", "Assistant answering"
    HANDOFF = "handoff", "With a person"
    CLOSED = "closed", "Closed"


class Conversation(models.Model):
    """A dialogue: its slots (carried across turns), the form waiting for a slot, and how many
    fallbacks came in a row (repeated fallback hands the conversation to a person)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    tenant = models.ForeignKey("accounts.Tenant", on_delete=models.CASCADE, related_name="+")
    channel = models.CharField(max_length=16, default="api")
    status = models.CharField(
        max_length=16, choices=ConversationStatus.choices, default=ConversationStatus.ACTIVE
    )
    slots = EncryptedJSONField(default=dict, blank=True)  # at rest under the tenant's key
    active_form = models.CharField(max_length=64, blank=True, default="")
    requested_slot = models.CharField(max_length=64, blank=True, default="")
    fallback_streak = models.PositiveIntegerField(default=0)
    # The language of the last message (detected per message) and the forms interrupted by a
    # digression, to resume when the customer wants; a change waiting for "yes".
    language = models.CharField(max_length=16, blank=True, default="")
    paused_form = models.CharField(max_length=64, blank=True, default="")
    pending_action = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"conversation {str(self.pk)[:8]} ({self.status})"


class TurnRole(models.TextChoices):
    USER = "user", "User"
    ASSISTANT = "assistant", "Assistant"
    AGENT = "agent", "Agent"


class Turn(models.Model):
    """One message of a transcript. ``text`` is the transcript itself (agents read it);
    ``masked_text`` has personal data masked and is what reports and exports use.
    Assistant turns keep the intent, slots, sources and timings of the reply."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    tenant = models.ForeignKey("accounts.Tenant", on_delete=models.CASCADE, related_name="+")
    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="turns")
    seq = models.PositiveIntegerField()
    role = models.CharField(max_length=16, choices=TurnRole.choices)
    text = EncryptedTextField()  # at rest under the tenant's data key (apps.privacy)
    masked_text = models.TextField(blank=True, default="")
    intent = models.CharField(max_length=64, blank=True, default="")
    confidence = models.FloatField(null=True, blank=True)
    ranking = models.JSONField(default=list, blank=True)
    fallback = models.BooleanField(default=False)
    slots = EncryptedJSONField(default=dict, blank=True)
    sources = models.JSONField(default=list, blank=True)
    sentiment = models.CharField(max_length=16, blank=True, default="")
    sentiment_score = models.FloatField(null=True, blank=True)
    model_name = models.CharField(max_length=200, blank=True, default="")
    timings = models.JSONField(default=dict, blank=True)
    language = models.CharField(max_length=16, blank=True, default="")
    # The grounding check of a generated reply: the share of its sentences supported by the
    # cited sources (None for fixed texts and actions), and what it did.
    support_score = models.FloatField(null=True, blank=True)
    grounding = models.JSONField(default=dict, blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["conversation", "seq"]
        constraints = [models.UniqueConstraint(fields=["conversation", "seq"], name="cs_turn_seq")]

    def __str__(self) -> str:
        return f"{self.role} #{self.seq}"


class HandoffReason(models.TextChoices):
    REQUESTED = "requested", "Asked for a person"
    NEGATIVE_SENTIMENT = "negative_sentiment", "Strongly negative sentiment"
    REPEATED_FALLBACK = "repeated_fallback", "Repeated fallback"
    NO_ANSWER = "no_answer", "Nothing relevant known"
    CONNECTOR_ERROR = "connector_error", "The shop's system did not answer"


class HandoffState(models.TextChoices):
    OPEN = "open", "Waiting for an agent"
    ASSIGNED = "assigned", "An agent is answering"
    CLOSED = "closed", "Closed"


class Handoff(models.Model):
    """A conversation waiting in (or taken from) the agent queue."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    tenant = models.ForeignKey("accounts.Tenant", on_delete=models.CASCADE, related_name="+")
    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="handoffs"
    )
    reason = models.CharField(max_length=32, choices=HandoffReason.choices)
    state = models.CharField(max_length=16, choices=HandoffState.choices, default=HandoffState.OPEN)
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"handoff ({self.reason}, {self.state})"


class Rating(models.Model):
    """A user's or an agent's score (1–5) of an assistant reply."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    tenant = models.ForeignKey("accounts.Tenant", on_delete=models.CASCADE, related_name="+")
    turn = models.ForeignKey(Turn, on_delete=models.CASCADE, related_name="ratings")
    score = models.PositiveSmallIntegerField()
    rater = models.CharField(max_length=16, default="user")
    comment = EncryptedTextField(max_length=500, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.score}/5"


class ReviewState(models.TextChoices):
    OPEN = "open", "Waiting for review"
    APPROVED = "approved", "Correction approved"
    DISMISSED = "dismissed", "Dismissed"


class CorrectionKind(models.TextChoices):
    TRAINING_EXAMPLE = "training_example", "Training example for an intent"
    FAQ = "faq", "FAQ entry in the knowledge graph"


class ReviewItem(models.Model):
    """A low-rated reply waiting for an admin, who may approve a correction: the user's message
    as a training example of the right intent, or a corrected answer as an FAQ entry."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    tenant = models.ForeignKey("accounts.Tenant", on_delete=models.CASCADE, related_name="+")
    turn = models.ForeignKey(Turn, on_delete=models.CASCADE, related_name="reviews")
    rating = models.ForeignKey(
        Rating, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    state = models.CharField(max_length=16, choices=ReviewState.choices, default=ReviewState.OPEN)
    kind = models.CharField(max_length=32, choices=CorrectionKind.choices, blank=True, default="")
    correction = EncryptedTextField(blank=True, default="")
    intent = models.CharField(max_length=64, blank=True, default="")
    faq_key = models.CharField(max_length=200, blank=True, default="")
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"review ({self.state})"


class RatingsReport(models.Model):
    """Ratings summarised by intent over a period (weekly by celery-beat, or on demand)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    tenant = models.ForeignKey("accounts.Tenant", on_delete=models.CASCADE, related_name="+")
    period_start = models.DateTimeField()
    period_end = models.DateTimeField()
    summary = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"ratings {self.period_start:%Y-%m-%d}–{self.period_end:%Y-%m-%d}"


class OrderStatus(models.TextChoices):
    PROCESSING = "processing", "Processing"
    SHIPPED = "shipped", "Shipped"
    DELIVERED = "delivered", "Delivered"
    CANCELLED = "cancelled", "Cancelled"


class DemoOrder(models.Model):
    """The demo system of record that the order actions read and change."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    tenant = models.ForeignKey("accounts.Tenant", on_delete=models.CASCADE, related_name="+")
    number = models.CharField(max_length=32)
    email = models.EmailField(blank=True, default="")
    status = models.CharField(
        max_length=16, choices=OrderStatus.choices, default=OrderStatus.PROCESSING
    )
    product_key = models.CharField(max_length=200, blank=True, default="")
    tracking = models.CharField(max_length=64, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["number"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "number"], name="cs_order_number_per_tenant")
        ]

    def __str__(self) -> str:
        return f"order {self.number}"


# The per-tenant assistant settings, connectors and help-centre documents live in their own
# modules (this one would pass 400 lines); importing them here registers them with the app.
from .assistant_models import (  # noqa: E402, F401
    AssistantSettings,
    Connector,
    ConnectorCall,
    ConnectorKind,
)
from .document_models import Chunk, Document, DocumentVersion  # noqa: E402, F401
