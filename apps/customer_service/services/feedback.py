"""The feedback loop: ratings of replies, the review queue of low-rated replies, corrections
approved into training examples or FAQ entries (picked up by the next training or graph
import), and the ratings report by intent (weekly by celery-beat, or on demand)."""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from apps.audit.services import audited
from apps.customer_service.models import (
    CorrectionKind,
    ExampleSplit,
    Rating,
    RatingsReport,
    ReviewItem,
    ReviewState,
    Turn,
    TurnRole,
)
from knowledge.services import graph_upsert, seed_graph_ensure

from .privacy import mask_text
from .replies import shop_graph
from .training import TrainingDataError, example_add, intent_ensure

LOW_RATING = 2


class ReviewError(ValueError):
    def __init__(self, errors: dict):
        self.errors = errors
        super().__init__("; ".join(f"{k}: {', '.join(v)}" for k, v in errors.items()))


def rating_create(*, tenant, turn: Turn, score: int, rater: str = "user", comment: str = ""):
    """Rate an assistant reply (1–5); a score of LOW_RATING or less queues it for review."""
    if turn.role != TurnRole.ASSISTANT:
        raise ReviewError({"turn": ["only assistant replies can be rated"]})
    with audited(
        tenant=tenant,
        action="customer_service.rating.create",
        resource_type="customer_service.rating",
    ) as event:
        rating = Rating.objects.create(
            tenant=tenant, turn=turn, score=score, rater=rater, comment=mask_text(comment)
        )
        event.resource_id = rating.pk
        event.details = {"score": score, "intent": turn.intent}
        if (
            score <= LOW_RATING
            and not ReviewItem.objects.filter(turn=turn, state=ReviewState.OPEN).exists()
        ):
            ReviewItem.objects.create(tenant=tenant, turn=turn, rating=rating)
    return rating


def _user_message_of(turn: Turn) -> Turn | None:
    return (
        Turn.objects.filter(
            conversation_id=turn.conversation_id, seq__lt=turn.seq, role=TurnRole.USER
        )
        .order_by("-seq")
        .first()
    )


def review_approve(
    *, tenant, item: ReviewItem, kind: str, correction: str = "", intent: str = "", user=None
) -> ReviewItem:
    """Turn a review item into a correction:

    - ``training_example``: the user's message (masked) becomes a training example of
      ``intent``; the next training picks it up;
    - ``faq``: ``correction`` (the right answer) becomes an FAQ node in the shop graph,
      answering the user's (masked) question; retrieval finds it at once.
    """
    errors = {}
    if item.state != ReviewState.OPEN:
        errors["state"] = [f"the item is already {item.state}"]
    if kind not in CorrectionKind.values:
        errors["kind"] = [f"one of {', '.join(CorrectionKind.values)}"]
    if kind == CorrectionKind.TRAINING_EXAMPLE and not intent:
        errors["intent"] = ["name the intent the message should have been"]
    if kind == CorrectionKind.FAQ and not correction.strip():
        errors["correction"] = ["write the corrected answer"]
    if errors:
        raise ReviewError(errors)
    question = _user_message_of(item.turn)
    asked = question.masked_text or mask_text(question.text) if question else ""
    faq_key = ""
    if kind == CorrectionKind.FAQ:
        faq_key = _faq_write(tenant=tenant, item=item, question=asked, answer=correction.strip())
    with (
        transaction.atomic(),
        audited(
            tenant=tenant,
            action="customer_service.review.approve",
            resource_type="customer_service.reviewitem",
            resource_id=str(item.pk),
            details={"kind": kind},
        ),
    ):
        if kind == CorrectionKind.TRAINING_EXAMPLE:
            if not asked:
                raise ReviewError({"turn": ["no user message precedes this reply"]})
            try:
                example_add(
                    tenant=tenant,
                    intent=intent_ensure(tenant=tenant, name=intent),
                    text=asked[:500],
                    split=ExampleSplit.TRAIN,
                    source=f"cs-correction:{item.pk}",
                )
            except TrainingDataError as exc:
                raise ReviewError({"intent": [str(exc)]}) from exc
        item.state = ReviewState.APPROVED
        item.kind, item.correction, item.intent, item.faq_key = kind, correction, intent, faq_key
        item.resolved_by = user if getattr(user, "pk", None) else None
        item.resolved_at = timezone.now()
        item.save()
    return item


def _faq_write(*, tenant, item: ReviewItem, question: str, answer: str) -> str:
    graph = shop_graph(tenant) or seed_graph_ensure(tenant=tenant, seed="customer_service")[0]
    key = f"faq:correction-{str(item.pk)[:8]}"
    graph_upsert(
        graph=graph,
        nodes=[
            {
                "key": key,
                "type": "faq",
                "label": (question or "Corrected answer")[:200],
                "properties": {"answer": answer, "source": f"cs-correction:{item.pk}"},
            }
        ],
        edges=[],
    )
    return key


def review_dismiss(*, tenant, item: ReviewItem, user=None) -> ReviewItem:
    with audited(
        tenant=tenant,
        action="customer_service.review.dismiss",
        resource_type="customer_service.reviewitem",
        resource_id=str(item.pk),
    ):
        item.state = ReviewState.DISMISSED
        item.resolved_by = user if getattr(user, "pk", None) else None
        item.resolved_at = timezone.now()
        item.save(update_fields=["state", "resolved_by", "resolved_at"])
    return item


def ratings_report_create(*, tenant, days: int = 7, end=None) -> RatingsReport:
    """Ratings of the last ``days`` days by intent: count, mean score, low ratings, and the
    reviews opened; stored (masked data only: intents and numbers)."""
    end = end or timezone.now()
    start = end - timedelta(days=days)
    ratings = Rating.objects.filter(tenant=tenant, created_at__gte=start, created_at__lt=end)
    by_intent = defaultdict(list)
    for intent, score in ratings.values_list("turn__intent", "score"):
        by_intent[intent or "(none)"].append(score)
    rows = {
        intent: {
            "ratings": len(scores),
            "mean": round(sum(scores) / len(scores), 3),
            "low": sum(s <= LOW_RATING for s in scores),
        }
        for intent, scores in sorted(by_intent.items())
    }
    all_scores = [s for scores in by_intent.values() for s in scores]
    summary = {
        "days": days,
        "ratings": len(all_scores),
        "mean": round(sum(all_scores) / len(all_scores), 3) if all_scores else None,
        "by_intent": rows,
        "reviews_open": ReviewItem.objects.filter(tenant=tenant, state=ReviewState.OPEN).count(),
    }
    with audited(
        tenant=tenant,
        action="customer_service.report.create",
        resource_type="customer_service.ratingsreport",
    ) as event:
        report = RatingsReport.objects.create(
            tenant=tenant, period_start=start, period_end=end, summary=summary
        )
        event.resource_id = report.pk
    return report
