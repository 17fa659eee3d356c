"""The dialogue with the real models (MiniLM, SmolLM2) in-process: forms and slots across
turns, validation through the action, grounded replies citing their sources, the "I do not
know" path, handoff triggers and the agent's reply in the transcript."""

from __future__ import annotations

import pytest

from apps.customer_service import selectors, services
from apps.customer_service.api.serializers import ReplySerializer
from apps.customer_service.models import (
    ConversationStatus,
    DemoOrder,
    Handoff,
    HandoffReason,
    OrderStatus,
    Turn,
    TurnRole,
)
from apps.customer_service.services import replies

pytestmark = pytest.mark.django_db


def say(conversation, text):
    conversation.refresh_from_db()
    return ReplySerializer(services.message_reply(conversation=conversation, text=text)).data


@pytest.fixture
def conversation(shop, tenant):
    return services.conversation_start(tenant=tenant)


def test_form_asks_for_the_missing_slot_then_continues_with_it(conversation):
    first = say(conversation, "where is my order?")
    assert first["intent"] == "order_status"
    assert first["requested_slot"] == "order_number"
    assert "order number" in first["reply"]
    conversation.refresh_from_db()
    assert (conversation.active_form, conversation.requested_slot) == (
        "order_status",
        "order_number",
    )

    second = say(conversation, "it is 10023")  # alone this is no intent: the form goes on
    assert second["intent"] == "order_status" and second["fallback"] is False
    assert second["slots"]["order_number"] == "10023"
    assert "10023" in second["reply"] and "shipped" in second["reply"]
    assert second["sources"] == ["order:10023"]
    conversation.refresh_from_db()
    assert conversation.active_form == "" and conversation.slots["order_number"] == "10023"


def test_slots_carry_across_turns_into_the_next_form(conversation, tenant):
    say(conversation, "please check order 10045")
    reply = say(conversation, "I want to cancel my order")
    assert reply["intent"] == "cancel_order"
    assert reply["requested_slot"] is None  # the order number came two turns earlier
    assert reply["pending_confirmation"] and "10045" in reply["reply"]  # asks first
    assert DemoOrder.objects.get(tenant=tenant, number="10045").status == OrderStatus.PROCESSING
    done = say(conversation, "yes")
    assert "cancelled" in done["reply"]
    assert DemoOrder.objects.get(tenant=tenant, number="10045").status == OrderStatus.CANCELLED


def test_an_unknown_order_number_is_refused_and_asked_again(conversation):
    say(conversation, "where is my order?")
    reply = say(conversation, "99999")
    assert "could not find" in reply["reply"]
    assert "order_number" not in reply["slots"]
    assert reply["requested_slot"] == "order_number"


def test_grounded_reply_cites_the_facts_it_was_given(conversation, monkeypatch):
    prompts = []
    real = replies.generate

    def spy(messages, **kwargs):
        prompts.append(messages)
        return real(messages, **kwargs)

    monkeypatch.setattr("apps.customer_service.services.dialogue.generate", spy)
    reply = say(conversation, "Is the StormShell rain jacket waterproof?")
    assert reply["intent"] == "product_question"
    assert reply["slots"]["product"] == "product:stormshell"
    assert "product:stormshell" in reply["sources"]
    assert set(reply["sources"]) <= selectors_scope(conversation, "product:stormshell")
    assert reply["reply"] and not reply["no_answer"]
    system = prompts[0][0]["content"]
    block = system[system.index("<<<") : system.index(">>>")]
    assert "StormShell" in block and "Waterproof" in block  # the cited facts, quoted as data
    stored = Turn.objects.get(pk=reply["turn"])
    assert stored.sources == reply["sources"] and stored.model_name.startswith("chat@")


def selectors_scope(conversation, product):
    return replies.product_scope(replies.shop_graph(conversation.tenant), product)


def test_policy_question_is_grounded_in_policies(conversation):
    reply = say(conversation, "how long does shipping to Norway take?")
    assert reply["intent"] == "shipping_time"
    assert "policy:shipping-international" in reply["sources"]
    assert all(s.startswith(("policy:", "faq:")) for s in reply["sources"])


def test_nothing_relevant_retrieved_says_so_and_offers_a_person(conversation, monkeypatch):
    def must_not_generate(*args, **kwargs):
        raise AssertionError("the chat model must not be asked without facts")

    monkeypatch.setattr("apps.customer_service.services.dialogue.generate", must_not_generate)
    reply = say(conversation, "Do you sell kayaks?")
    assert reply["intent"] == "product_question"
    assert reply["no_answer"] is True and reply["sources"] == []
    assert "person" in reply["reply"]


def test_asking_for_a_person_hands_off_and_the_agent_reply_joins_the_transcript(
    conversation, tenant, make_member
):
    reply = say(conversation, "I want to talk to a human")
    assert reply["handoff"] is True and reply["handoff_reason"] == HandoffReason.REQUESTED
    conversation.refresh_from_db()
    assert conversation.status == ConversationStatus.HANDOFF
    queue = selectors.handoff_queue_open(tenant=tenant)
    assert queue[0]["conversation_id"] == str(conversation.pk)
    assert queue[0]["tenant"] == tenant.slug and queue[0]["reason"] == "requested"
    assert queue[0]["waiting_since"] is not None

    waiting = say(conversation, "hello? anyone?")
    assert waiting["reply"] is None and waiting["turn"] is None  # the person answers, not us

    agent = make_member(tenant)
    services.agent_reply(
        conversation=conversation, user=agent, text="Hi, Anna here. How can I help?"
    )
    roles = list(Turn.objects.filter(conversation=conversation).values_list("role", flat=True))
    assert roles == [TurnRole.USER, TurnRole.ASSISTANT, TurnRole.USER, TurnRole.AGENT]
    assert selectors.handoff_queue_open(tenant=tenant) == []  # assigned: no longer waiting
    services.handoff_close(conversation=conversation)
    assert say(conversation, "hi")["intent"] == "greeting"


def test_strongly_negative_sentiment_hands_off(conversation):
    reply = say(conversation, "This is the worst service ever, I am furious!")
    assert reply["sentiment"]["label"] == "negative"
    assert reply["handoff_reason"] == HandoffReason.NEGATIVE_SENTIMENT


def test_repeated_fallback_hands_off(tenant):
    from .factories import setup_demo_tenant

    setup_demo_tenant(tenant, threshold=0.999)  # every message falls back
    conversation = services.conversation_start(tenant=tenant)
    # Messages the help centre cannot answer either (it answers a fallback it covers).
    first = say(conversation, "blorp zindle")
    assert first["fallback"] is True and first["handoff"] is False
    assert "did not understand" in first["reply"]
    second = say(conversation, "quaxx frimble")
    assert second["handoff_reason"] == HandoffReason.REPEATED_FALLBACK
    assert Handoff.objects.filter(conversation=conversation).count() == 1


def test_out_of_scope_is_answered_as_such(conversation):
    reply = say(conversation, "what's the weather in Berlin tomorrow?")
    assert reply["intent"] == "out_of_scope" and reply["sources"] == []
    assert "only help with questions about Demo Shop" in reply["reply"]


def test_streamed_reply_ends_with_the_same_body(conversation):
    events = list(
        services.message_stream(conversation=conversation, text="What is your return policy?")
    )
    deltas = "".join(e["delta"] for e in events if "delta" in e)
    done = ReplySerializer(events[-1]["done"]).data
    assert done["intent"] == "return" and done["sources"]
    assert deltas.strip() and done["reply"]  # the checked reply may replace what streamed
    assert done["grounding"]["method"] and done["support_score"] is not None
    assert done["timings"]["generation_ms"] > 0 and "queue_ms" in done["timings"]
