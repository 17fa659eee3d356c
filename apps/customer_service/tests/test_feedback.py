"""The feedback loop: ratings, the review queue, corrections into training examples (which the
next training uses) and FAQ entries (which retrieval finds), the training pairs for adaptation,
and the ratings report (on demand and the weekly task)."""

from __future__ import annotations

import pytest

from apps.customer_service import selectors, services
from apps.customer_service.models import (
    IntentModel,
    RatingsReport,
    ReviewItem,
    ReviewState,
    TrainingExample,
    Turn,
    TurnRole,
)
from apps.customer_service.tasks import ratings_weekly_report_task
from apps.registry.models import ModelState

pytestmark = pytest.mark.django_db


@pytest.fixture
def low_rated(shop, tenant):
    conversation = services.conversation_start(tenant=tenant)
    reply = services.message_reply(
        conversation=conversation,
        text="What is your return policy? Write to me at jane.roe@example.com",
    )
    turn = Turn.objects.get(pk=reply.reply_turn.pk)
    rating = services.rating_create(tenant=tenant, turn=turn, score=1, comment="wrong")
    return ReviewItem.objects.get(rating=rating)


def test_low_rating_opens_a_review_and_a_good_one_does_not(low_rated, tenant):
    assert low_rated.state == ReviewState.OPEN
    services.rating_create(tenant=tenant, turn=low_rated.turn, score=5)
    assert ReviewItem.objects.filter(tenant=tenant).count() == 1


def test_only_assistant_replies_can_be_rated(low_rated, tenant):
    user_turn = Turn.objects.get(conversation=low_rated.turn.conversation, role=TurnRole.USER)
    with pytest.raises(services.ReviewError) as caught:
        services.rating_create(tenant=tenant, turn=user_turn, score=1)
    assert "turn" in caught.value.errors


def test_correction_becomes_a_masked_training_example_that_the_next_training_uses(
    low_rated, tenant
):
    services.review_approve(tenant=tenant, item=low_rated, kind="training_example", intent="return")
    example = TrainingExample.objects.get(source=f"cs-correction:{low_rated.pk}")
    assert example.intent.name == "return"
    assert "jane.roe@example.com" not in example.text and "<EMAIL_ADDRESS>" in example.text
    low_rated.refresh_from_db()
    assert low_rated.state == ReviewState.APPROVED
    with pytest.raises(services.ReviewError):  # approved once only
        services.review_approve(tenant=tenant, item=low_rated, kind="faq", correction="x")

    model = services.intent_model_train(tenant=tenant)
    assert model.version == 2 and model.example_count == 481  # 480 demo + the correction
    assert IntentModel.objects.get(tenant=tenant, state=ModelState.CHAMPION) == model
    report = model.report
    assert report["accuracy"] >= 0.9 and report["oos_recall"] >= 0.8
    assert set(report["per_intent"]["refund"]) == {"precision", "recall", "f1", "support"}
    assert len(report["confusion_matrix"]) == len(report["labels"]) == 14


def test_faq_correction_is_found_by_retrieval_and_becomes_a_training_pair(low_rated, tenant):
    answer = "Returns are free within 30 days; print the label under My orders."
    item = services.review_approve(tenant=tenant, item=low_rated, kind="faq", correction=answer)
    assert item.faq_key.startswith("faq:correction-")
    from apps.customer_service.services.replies import shop_graph
    from knowledge.selectors import knowledge_search

    hits = knowledge_search(shop_graph(tenant), "return policy", top_k=10)["hits"]
    assert item.faq_key in [h["key"] for h in hits]

    pairs = selectors.approved_training_pairs(tenant=tenant)
    assert pairs == [
        {
            "prompt": "What is your return policy? Write to me at <EMAIL_ADDRESS>",
            "response": answer,
            "source": f"cs-correction:{item.pk}",
        }
    ]


def test_approval_names_what_is_missing(low_rated, tenant):
    with pytest.raises(services.ReviewError) as caught:
        services.review_approve(tenant=tenant, item=low_rated, kind="training_example")
    assert set(caught.value.errors) == {"intent"}
    with pytest.raises(services.ReviewError) as caught:
        services.review_approve(tenant=tenant, item=low_rated, kind="faq")
    assert set(caught.value.errors) == {"correction"}


def test_ratings_report_by_intent_and_the_weekly_task(low_rated, tenant, other_tenant):
    services.rating_create(tenant=tenant, turn=low_rated.turn, score=5)
    report = services.ratings_report_create(tenant=tenant, days=7)
    row = report.summary["by_intent"]["return"]
    assert row == {"ratings": 2, "mean": 3.0, "low": 1}
    assert report.summary["reviews_open"] == 1
    assert ratings_weekly_report_task() == {"reports": 1}  # only tenants with conversations
    assert RatingsReport.objects.filter(tenant=tenant).count() == 2
    assert not RatingsReport.objects.filter(tenant=other_tenant).exists()


def test_the_weekly_report_is_scheduled():
    from django.conf import settings

    entry = settings.CELERY_BEAT_SCHEDULE["customer-service-ratings-report"]
    assert entry["task"] == ratings_weekly_report_task.name


def test_handoff_queue_of_every_tenant_for_the_operator_console(tenant, other_tenant):
    from apps.customer_service.tests import factories

    mine, theirs = factories.handoff(tenant), factories.handoff(other_tenant)
    everyone = selectors.handoff_queue_open(tenant=None)
    assert [row["conversation_id"] for row in everyone] == [
        str(theirs.conversation_id),
        str(mine.conversation_id),
    ]  # newest first
    assert {row["tenant"] for row in everyone} == {"acme", "globex"}
    assert selectors.handoff_queue_open(tenant=None, limit=1)[0]["tenant"] == "globex"
    assert [r["tenant"] for r in selectors.handoff_queue_open(tenant=tenant)] == ["acme"]


def test_a_model_without_a_fitted_classifier_is_a_clear_error(tenant):
    from apps.customer_service.tests import factories

    factories.intent_model(tenant)
    with pytest.raises(services.NoIntentModel, match="no fitted classifier"):
        services.understand(tenant=tenant, text="hi")
