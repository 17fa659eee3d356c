"""/api/v1/customer-service/ over HTTP: conversations and messages (JSON and server-sent
events), bad input, training as a job, prediction, CSV import, ratings and reviews, agents'
replies, reports; personal data masked in what is stored and audited."""

from __future__ import annotations

import json

import pytest
from django.test import TestCase

from apps.accounts.roles import Role
from apps.audit.models import AuditEvent
from apps.customer_service.models import ConversationStatus, IntentModel, ReviewItem, Turn
from apps.jobs.models import Job, JobState

pytestmark = pytest.mark.django_db
API = "/api/v1/customer-service/"


@pytest.fixture
def agent(tenant, make_api_client):
    return make_api_client(tenant, Role.AGENT)


def start(client):
    response = client.post(f"{API}conversations/", {}, format="json")
    assert response.status_code == 201, response.content
    return response.json()["id"]


def test_message_reply_carries_intent_confidence_slots_sources_and_sentiment(shop, agent):
    cid = start(agent)
    response = agent.post(
        f"{API}conversations/{cid}/messages/",
        {"text": "Is the StormShell rain jacket waterproof?"},
        format="json",
    )
    assert response.status_code == 200, response.content
    body = response.json()
    # The body ReplySerializer builds from the service's MessageOutcome, key for key.
    assert list(body) == [
        "conversation",
        "status",
        "user_turn",
        "turn",
        "reply",
        "intent",
        "confidence",
        "fallback",
        "ranking",
        "slots",
        "requested_slot",
        "sources",
        "citations",
        "language",
        "support_score",
        "grounding",
        "pending_confirmation",
        "paused_form",
        "no_answer",
        "sentiment",
        "handoff",
        "handoff_reason",
        "timings",
    ]
    assert body["conversation"] == cid and body["status"] == "active" and body["turn"]
    assert body["intent"] == "product_question" and 0 < body["confidence"] <= 1
    assert body["slots"] == {"product": "product:stormshell"}
    assert "product:stormshell" in body["sources"]
    assert body["sentiment"]["label"] in {"negative", "neutral", "positive"}
    assert body["reply"] and body["ranking"][0]["name"] == "product_question"
    detail = agent.get(f"{API}conversations/{cid}/").json()
    assert [t["role"] for t in detail["turns"]] == ["user", "assistant"]
    assert detail["turns"][1]["sources"] == body["sources"]


def test_stream_true_answers_with_server_sent_events(shop, agent):
    cid = start(agent)
    response = agent.post(
        f"{API}conversations/{cid}/messages/",
        {"text": "how long does shipping to Norway take?", "stream": True},
        format="json",
    )
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/event-stream")
    raw = b"".join(response.streaming_content).decode()
    events = [
        (block.split("\n")[0][len("event: ") :], json.loads(block.split("\n")[1][len("data: ") :]))
        for block in raw.strip().split("\n\n")
    ]
    names = [name for name, _ in events]
    assert names[-1] == "done" and set(names[:-1]) == {"delta"}
    done = events[-1][1]
    assert done["intent"] == "shipping_time"
    assert "policy:shipping-international" in done["sources"]
    streamed = "".join(data["text"] for name, data in events if name == "delta").strip()
    assert streamed and done["reply"]
    # The grounding check decides what stays: the streamed text, or the checked reply that
    # replaces it (the chat page shows done.reply), as stored.
    assert done["reply"] == Turn.objects.get(pk=done["turn"]).text
    assert (
        done["reply"] == streamed
        or done["grounding"]["score"] < 1
        or (done["grounding"]["extractive_fallback"])
    )


@pytest.mark.parametrize(
    "body,field",
    [
        ({}, "text"),
        ({"text": ""}, "text"),
        ({"text": "x" * 2001}, "text"),
        ({"text": ["a"]}, "text"),
        ({"text": "hi", "stream": "often"}, "stream"),
        ({"text": "hi", "colour": "red"}, "colour"),
    ],
)
def test_bad_messages_are_400_naming_the_field(shop, agent, body, field):
    cid = start(agent)
    response = agent.post(f"{API}conversations/{cid}/messages/", body, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()["errors"]
    assert not Turn.objects.filter(conversation_id=cid).exists()


def test_without_a_trained_model_the_answer_is_409(tenant, agent):
    cid = start(agent)
    response = agent.post(f"{API}conversations/{cid}/messages/", {"text": "hi"}, format="json")
    assert response.status_code == 409 and "intent model" in response.json()["detail"]


def test_training_is_a_job_that_stores_the_evaluation_report(tenant, agent):
    from apps.customer_service.services import intents_seed_demo

    intents_seed_demo(tenant=tenant)
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = agent.post(f"{API}models/", {"threshold": 0.4}, format="json")
    assert response.status_code == 202 and response["Location"].endswith(
        f"/jobs/{response.json()['id']}/"
    )
    job = Job.objects.get(pk=response.json()["id"])
    assert job.state == JobState.SUCCEEDED, job.error
    model = IntentModel.objects.get(tenant=tenant)
    body = agent.get(f"{API}models/{model.pk}/").json()
    assert body["report"]["accuracy"] >= 0.9 and body["version"] == 1
    assert "classifier" not in body
    predicted = agent.post(
        f"{API}models/predict/", {"text": "tell me a joke", "top_k": 2}, format="json"
    ).json()
    assert predicted["intent"] in {"out_of_scope", "nlu_fallback"}
    assert len(predicted["ranking"]) == 2


def test_train_and_predict_reject_bad_input(shop, agent):
    assert agent.post(f"{API}models/", {"threshold": 2}, format="json").status_code == 400
    response = agent.post(f"{API}models/predict/", {"text": "hi", "top_k": 0}, format="json")
    assert response.status_code == 400 and "top_k" in response.json()["errors"]


def test_csv_import_validates_every_line_and_writes_all_or_nothing(tenant, agent):
    bad = "intent,text,split\nrefund,where is my money,train\nbad name!,x,train\nrefund,,dev\n"
    response = agent.post(f"{API}examples/import/", {"csv": bad}, format="json")
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"line 3:intent", "line 4:text", "line 4:split"}
    good = "intent,text\nrefund,where is my money\nrefund,refund please\nrefund,refund please\n"
    response = agent.post(f"{API}examples/import/", {"csv": good}, format="json")
    assert response.json() == {"rows": 3, "created": 2, "skipped": 1}
    listed = agent.get(f"{API}examples/").json()["results"]
    assert {e["text"] for e in listed} == {"where is my money", "refund please"}
    no_header = agent.post(f"{API}examples/import/", {"csv": "a,b\n1,2\n"}, format="json")
    assert no_header.status_code == 400 and "file" in no_header.json()["errors"]


def test_rating_review_and_approval_roles(shop, tenant, agent, make_api_client):
    cid = start(agent)
    reply = agent.post(
        f"{API}conversations/{cid}/messages/",
        {"text": "What is your return policy?"},
        format="json",
    ).json()
    rated = agent.post(f"{API}ratings/", {"turn": reply["turn"], "score": 1}, format="json")
    assert rated.status_code == 201
    assert (
        agent.post(f"{API}ratings/", {"turn": reply["turn"], "score": 9}, format="json").status_code
        == 400
    )
    item = ReviewItem.objects.get(tenant=tenant)
    listed = agent.get(f"{API}reviews/").json()["results"]
    assert listed[0]["id"] == str(item.pk) and listed[0]["reply_intent"] == "return"
    body = {"kind": "training_example", "intent": "return"}
    assert agent.post(f"{API}reviews/{item.pk}/approve/", body, format="json").status_code == 403
    admin = make_api_client(tenant, Role.ADMIN)
    missing = admin.post(f"{API}reviews/{item.pk}/approve/", {"kind": "faq"}, format="json")
    assert missing.status_code == 400 and "correction" in missing.json()["errors"]
    approved = admin.post(f"{API}reviews/{item.pk}/approve/", body, format="json")
    assert approved.status_code == 200 and approved.json()["state"] == "approved"
    report = agent.post(f"{API}reports/", {"days": 7}, format="json")
    assert report.status_code == 201
    assert report.json()["summary"]["by_intent"]["return"]["low"] == 1


def test_handoff_queue_and_agent_reply_over_the_api(shop, agent):
    cid = start(agent)
    agent.post(
        f"{API}conversations/{cid}/messages/", {"text": "connect me to an agent"}, format="json"
    )
    queue = agent.get(f"{API}handoffs/", {"state": "open"}).json()["results"]
    assert queue[0]["conversation"] == cid and queue[0]["reason"] == "requested"
    turn = agent.post(
        f"{API}conversations/{cid}/agent-reply/", {"text": "Hello, this is Sam."}, format="json"
    )
    assert turn.status_code == 201 and turn.json()["role"] == "agent"
    closed = agent.post(f"{API}conversations/{cid}/close-handoff/", {}, format="json")
    assert closed.json()["status"] == ConversationStatus.ACTIVE
    assert agent.get(f"{API}handoffs/", {"state": "open"}).json()["results"] == []


def test_another_tenants_conversation_is_404(shop, agent, other_tenant, make_api_client):
    theirs = start(make_api_client(other_tenant, Role.AGENT))
    response = agent.post(f"{API}conversations/{theirs}/messages/", {"text": "hi"}, format="json")
    assert response.status_code == 404


def test_personal_data_is_masked_in_stored_analytics_and_the_audit_log(shop, tenant, agent):
    cid = start(agent)
    email, phone = "jane.roe@example.com", "+49 30 1234 5678"
    text = f"Where is my order? Mail {email} or call {phone}"
    agent.post(f"{API}conversations/{cid}/messages/", {"text": text}, format="json")
    user_turn = Turn.objects.get(conversation_id=cid, seq=1)
    assert user_turn.text == text  # the transcript itself, for the agent
    assert email not in user_turn.masked_text and "<EMAIL_ADDRESS>" in user_turn.masked_text
    assert "1234 5678" not in user_turn.masked_text
    events = AuditEvent.objects.filter(tenant=tenant, action="customer_service.message")
    assert events.count() == 1
    stored = json.dumps(list(events.values()), default=str)
    assert email not in stored and "1234" not in stored
    assert events.get().input_digest  # the message is proven by its keyed digest only


def test_csv_import_as_a_checked_file_upload(tenant, agent):
    from django.core.files.uploadedfile import SimpleUploadedFile

    good = SimpleUploadedFile("examples.csv", b"intent,text\ngreeting,hello there\n", "text/csv")
    response = agent.post(f"{API}examples/import/", {"file": good}, format="multipart")
    assert response.status_code == 200 and response.json()["created"] == 1
    pdf = SimpleUploadedFile("examples.pdf", b"%PDF-1.4", "application/pdf")
    refused = agent.post(f"{API}examples/import/", {"file": pdf}, format="multipart")
    assert refused.status_code == 400 and "file" in refused.json()["errors"]
