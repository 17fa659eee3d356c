"""Admin pages: a conversation's transcript, the agent queue where an agent's reply joins the
transcript, the review queue where an admin approves a correction, an intent with its
examples."""

from __future__ import annotations

import pytest
from django.urls import reverse

from apps.accounts.roles import Role
from apps.customer_service import services
from apps.customer_service.models import (
    Handoff,
    HandoffState,
    ReviewItem,
    ReviewState,
    TrainingExample,
    Turn,
    TurnRole,
)
from apps.customer_service.tests import factories

pytestmark = pytest.mark.django_db


def url(model, view, *args):
    return reverse(f"admin:customer_service_{model}_{view}", args=args)


def test_agent_reply_in_the_admin_joins_the_transcript(client, make_member, tenant):
    handoff = factories.handoff(tenant)
    Turn.objects.create(
        tenant=tenant, conversation=handoff.conversation, seq=1, role="user", text="A person please"
    )
    client.force_login(make_member(tenant, Role.AGENT))
    page = client.get(url("handoff", "change", handoff.pk))
    assert page.status_code == 200 and b"A person please" in page.content
    response = client.post(
        url("handoff", "change", handoff.pk),
        {"reply": "Hello, I am Sam from support.", "_save": "Save"},
    )
    assert response.status_code == 302, response.content[:2000]
    turns = list(Turn.objects.filter(conversation=handoff.conversation).order_by("seq"))
    assert [(t.role, t.text) for t in turns][-1] == (
        TurnRole.AGENT,
        "Hello, I am Sam from support.",
    )
    handoff.refresh_from_db()
    assert handoff.state == HandoffState.ASSIGNED
    conversation_page = client.get(url("conversation", "change", handoff.conversation.pk))
    assert b"Hello, I am Sam from support." in conversation_page.content


def test_an_admin_approves_a_correction_in_the_review_queue(client, make_member, tenant):
    item = factories.review_item(tenant)
    services.intent_ensure(tenant=tenant, name="shipping_time")
    client.force_login(make_member(tenant, Role.ADMIN))
    response = client.post(
        url("reviewitem", "change", item.pk),
        {
            "decision": "approve",
            "kind": "training_example",
            "intent": "shipping_time",
            "correction": "",
            "_save": "Save",
        },
    )
    assert response.status_code == 302
    item.refresh_from_db()
    assert item.state == ReviewState.APPROVED
    example = TrainingExample.objects.get(source=f"cs-correction:{item.pk}")
    assert example.text == "When do you ship?" and example.intent.name == "shipping_time"


def test_agents_read_but_do_not_approve_reviews(client, make_member, tenant):
    item = factories.review_item(tenant)
    client.force_login(make_member(tenant, Role.AGENT))
    assert client.get(url("reviewitem", "change", item.pk)).status_code == 200
    client.post(url("reviewitem", "change", item.pk), {"decision": "dismiss", "_save": "Save"})
    item.refresh_from_db()
    assert item.state == ReviewState.OPEN
    assert ReviewItem.objects.filter(state=ReviewState.OPEN).count() == 1


def test_intent_examples_are_edited_inline(client, make_member, tenant):
    intent = factories.intent(tenant, "refund")
    client.force_login(make_member(tenant, Role.AGENT))
    data = {
        "name": "refund",
        "description": "money back",
        "required_slots": "[]",
        "examples-TOTAL_FORMS": "1",
        "examples-INITIAL_FORMS": "0",
        "examples-MIN_NUM_FORMS": "0",
        "examples-MAX_NUM_FORMS": "1000",
        "examples-0-text": "I want my money back",
        "examples-0-split": "train",
        "_save": "Save",
    }
    if "tenant" in client.get(url("intent", "change", intent.pk)).content.decode():
        data["tenant"] = str(tenant.pk)
    response = client.post(url("intent", "change", intent.pk), data)
    assert response.status_code == 302, response.content.decode()[:3000]
    example = TrainingExample.objects.get(intent=intent)
    assert (example.text, example.tenant, example.source) == (
        "I want my money back",
        tenant,
        "admin",
    )
    assert Handoff.objects.count() == 0
