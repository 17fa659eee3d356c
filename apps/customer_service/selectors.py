"""Reads of the customer-service vertical. ``approved_training_pairs`` and
``handoff_queue_open`` are called by other apps through dotted paths in settings."""

from __future__ import annotations

from apps.customer_service.models import (
    Conversation,
    CorrectionKind,
    DemoOrder,
    Handoff,
    HandoffState,
    Intent,
    IntentModel,
    Rating,
    RatingsReport,
    ReviewItem,
    ReviewState,
    TrainingExample,
    Turn,
    TurnRole,
)
from apps.customer_service.services.privacy import mask_text


def intents_of(*, tenant):
    return Intent.objects.filter(tenant=tenant).order_by("name")


def examples_of(*, tenant):
    return TrainingExample.objects.filter(tenant=tenant).select_related("intent")


def intent_models_of(*, tenant):
    return IntentModel.objects.filter(tenant=tenant).defer("classifier", "sentiment")


def conversations_of(*, tenant):
    return Conversation.objects.filter(tenant=tenant).order_by("-created_at")


def turns_of(*, tenant):
    return Turn.objects.filter(tenant=tenant)


def transcript(conversation: Conversation) -> list[Turn]:
    return list(Turn.objects.filter(conversation=conversation).order_by("seq"))


def handoffs_of(*, tenant):
    return Handoff.objects.filter(tenant=tenant).select_related("conversation")


def ratings_of(*, tenant):
    return Rating.objects.filter(tenant=tenant)


def reviews_of(*, tenant):
    return ReviewItem.objects.filter(tenant=tenant).select_related("turn")


def reports_of(*, tenant):
    return RatingsReport.objects.filter(tenant=tenant)


def orders_of(*, tenant):
    return DemoOrder.objects.filter(tenant=tenant)


def approved_training_pairs(*, tenant) -> list[dict]:
    """The tenant's approved corrections as training pairs for adaptation (LoRA):
    ``{"prompt": <the user's message, personal data masked>, "response": <the corrected
    reply>, "source": "cs-correction:<id>"}``. Only corrections with a written answer count
    (a training-example correction fixes the intent, not the reply)."""
    items = (
        ReviewItem.objects.filter(tenant=tenant, state=ReviewState.APPROVED)
        .exclude(correction="")
        .select_related("turn")
        .order_by("resolved_at", "created_at")
    )
    pairs = []
    for item in items:
        question = (
            Turn.objects.filter(
                conversation_id=item.turn.conversation_id,
                seq__lt=item.turn.seq,
                role=TurnRole.USER,
            )
            .order_by("-seq")
            .values("text", "masked_text")
            .first()
        )
        if question is None:
            continue
        pairs.append(
            {
                "prompt": question["masked_text"] or mask_text(question["text"]),
                "response": item.correction.strip(),
                "source": f"cs-correction:{item.pk}",
            }
        )
    return pairs


def handoff_queue_open(*, tenant=None, limit: int = 20) -> list[dict]:
    """Open handoffs waiting for an agent, newest first: ``{"conversation_id", "tenant"
    (slug), "reason", "waiting_since"}``; ``tenant=None``: every tenant's (operator console)."""
    queue = Handoff.objects.filter(state=HandoffState.OPEN)
    if tenant is not None:
        queue = queue.filter(tenant=tenant)
    rows = queue.order_by("-created_at").values(
        "conversation_id", "tenant__slug", "reason", "created_at"
    )[: max(0, int(limit))]
    return [
        {
            "conversation_id": str(row["conversation_id"]),
            "tenant": row["tenant__slug"],
            "reason": row["reason"],
            "waiting_since": row["created_at"],
        }
        for row in rows
    ]


def handoff_queue_detail(*, tenant, limit: int = 20, turns: int = 12) -> list[dict]:
    """The agent view's queue: each open handoff with what the agent needs, the transcript
    (last ``turns`` messages), the detected intent, language and slots, and the sources the
    assistant used."""
    handoffs = (
        Handoff.objects.filter(tenant=tenant, state=HandoffState.OPEN)
        .select_related("conversation")
        .order_by("-created_at")[: max(0, int(limit))]
    )
    rows = []
    for handoff in handoffs:
        conversation = handoff.conversation
        transcript = list(
            Turn.objects.filter(conversation=conversation)
            .order_by("-seq")
            .values("role", "text", "intent", "sources")[:turns]
        )[::-1]
        said = [t for t in transcript if t["role"] == "user" and t["intent"]]
        sources = [s for t in transcript for s in (t["sources"] or [])]
        rows.append(
            {
                "conversation_id": str(conversation.pk),
                "handoff_id": str(handoff.pk),
                "reason": handoff.reason,
                "waiting_since": handoff.created_at,
                "intent": said[-1]["intent"] if said else "",
                "language": conversation.language,
                "slots": {k: v for k, v in conversation.slots.items() if not k.endswith("_label")},
                "sources": list(dict.fromkeys(sources)),
                "transcript": [{"role": t["role"], "text": t["text"]} for t in transcript],
            }
        )
    return rows


__all__ = [
    "CorrectionKind",
    "approved_training_pairs",
    "handoff_queue_detail",
    "handoff_queue_open",
]
