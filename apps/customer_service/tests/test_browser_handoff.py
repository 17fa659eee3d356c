"""A handoff reaches everyone who must know: the tenant's webhook (a real local HTTP server),
the mail outbox (Django's mail backend) and the agent view's live queue, where headless
Chromium sees the conversation appear without a reload (server-sent events), with its
transcript, intent and slots."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core import mail
from django.test import Client
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from apps.accounts.roles import Role
from apps.customer_service import services
from apps.customer_service.tests.factories import setup_demo_tenant
from apps.notifications.services import destination_create
from tests.test_browser_knowledge import browser  # noqa: F401  (the shared Chromium fixture)


@pytest.fixture
def webhook(settings):
    received = []

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            return

        def do_POST(self):  # noqa: N802
            received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(204)
            self.end_headers()

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    settings.NOTIFICATIONS_ALLOWED_HOSTS = ["127.0.0.1"]
    yield f"http://127.0.0.1:{server.server_port}/agents", received
    server.shutdown()
    server.server_close()


@pytest.mark.django_db(transaction=True)
def test_a_handoff_reaches_webhook_mail_and_the_live_agent_queue(
    browser,  # noqa: F811
    live_server,
    tenant,
    make_member,
    settings,
    webhook,
):
    settings.CUSTOMER_SERVICE_QUEUE_STREAM_S = 30
    url, received = webhook
    setup_demo_tenant(tenant)
    destination_create(tenant=tenant, kind="webhook", url=url)
    destination_create(tenant=tenant, kind="email", emails=["agents@example.com"])
    agent = make_member(tenant, Role.AGENT)
    session = Client()
    session.force_login(agent)
    browser.get(f"{live_server.url}/healthz")
    browser.add_cookie(
        {"name": "sessionid", "value": session.cookies["sessionid"].value, "path": "/"}
    )
    browser.get(f"{live_server.url}/customer-service/agent/")
    wait = WebDriverWait(browser, 60)
    wait.until(lambda d: "waiting" in d.find_element(By.ID, "cs-queue-status").text)
    assert browser.find_elements(By.CSS_SELECTOR, "#cs-queue li.cs-handoff") == []

    conversation = services.conversation_start(tenant=tenant)
    services.message_reply(conversation=conversation, text="order 10023 please")
    conversation.refresh_from_db()
    reply = services.message_reply(conversation=conversation, text="I want to talk to a human")
    assert reply.conversation.status == "handoff"

    item = wait.until(lambda d: d.find_elements(By.ID, f"conversation-{conversation.pk}") or False)[
        0
    ]
    assert "requested" in item.text and "order_number=10023" in item.text
    assert "I want to talk to a human" in item.text  # the transcript is there
    assert received and received[0]["payload"]["conversation"] == str(conversation.pk)
    assert "10023" not in json.dumps(received[0])  # no customer data in the webhook
    assert mail.outbox and mail.outbox[0].to == ["agents@example.com"]
