"""The notification service against a real local HTTP server: a webhook delivery with its
secret header, e-mail through Django's mail backend, deduplication within the window, retries
with back-off until the receiver answers, the allow-list, and the delivery log."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core import mail

from apps.notifications.models import Delivery, DeliveryState
from apps.notifications.services import (
    DestinationRefused,
    destination_create,
    notification_send,
)

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def receiver(settings):
    """A webhook receiver that fails the first ``fail_first`` requests with a 502."""
    state = {"bodies": [], "headers": [], "fail_first": 0}

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            return

        def do_POST(self):  # noqa: N802
            length = int(self.headers.get("Content-Length", 0))
            body = json.loads(self.rfile.read(length))
            if state["fail_first"] > 0:
                state["fail_first"] -= 1
                self.send_response(502)
                self.end_headers()
                return
            state["bodies"].append(body)
            state["headers"].append(dict(self.headers.items()))
            self.send_response(204)
            self.end_headers()

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    settings.NOTIFICATIONS_ALLOWED_HOSTS = ["127.0.0.1"]
    state["url"] = f"http://127.0.0.1:{server.server_port}/hooks/agents"
    yield state
    server.shutdown()
    server.server_close()


def _send(tenant, key="conv-1"):
    return notification_send(
        tenant=tenant,
        topic="customer_service.handoff",
        dedup_key=key,
        subject="A conversation needs a person",
        body="Open the agent view.",
        payload={"conversation": key},
    )


def test_webhook_and_email_are_delivered_and_logged(tenant, receiver):
    destination_create(
        tenant=tenant,
        kind="webhook",
        url=receiver["url"],
        secret_header="X-Platform-Secret",
        secret_value="hush",
    )
    destination_create(tenant=tenant, kind="email", emails=["agents@example.com"])
    deliveries = _send(tenant)
    assert len(deliveries) == 2
    assert receiver["bodies"][0]["payload"] == {"conversation": "conv-1"}
    assert receiver["headers"][0]["X-Platform-Secret"] == "hush"
    assert mail.outbox[0].to == ["agents@example.com"]
    assert mail.outbox[0].subject == "A conversation needs a person"
    assert set(Delivery.objects.values_list("state", flat=True)) == {DeliveryState.SENT}


def test_the_same_key_is_sent_once_within_the_window(tenant, receiver):
    destination_create(tenant=tenant, kind="webhook", url=receiver["url"])
    assert len(_send(tenant)) == 1
    assert _send(tenant) == []  # deduplicated
    assert len(_send(tenant, key="conv-2")) == 1
    assert len(receiver["bodies"]) == 2


def test_a_failing_receiver_is_retried_until_it_answers(tenant, receiver):
    receiver["fail_first"] = 2
    destination_create(tenant=tenant, kind="webhook", url=receiver["url"])
    _send(tenant)
    delivery = Delivery.objects.get()
    assert delivery.state == DeliveryState.SENT and delivery.attempts == 3
    assert len(receiver["bodies"]) == 1


def test_a_receiver_that_never_answers_is_given_up_with_its_error_logged(tenant, receiver):
    receiver["fail_first"] = 99
    destination_create(tenant=tenant, kind="webhook", url=receiver["url"])
    _send(tenant)
    delivery = Delivery.objects.get()
    assert delivery.state == DeliveryState.FAILED and delivery.attempts == 5
    assert "502" in delivery.last_error


def test_a_webhook_host_off_the_allow_list_is_refused(tenant, settings):
    settings.NOTIFICATIONS_ALLOWED_HOSTS = ["hooks.example.com"]
    with pytest.raises(DestinationRefused) as refused:
        destination_create(tenant=tenant, kind="webhook", url="http://169.254.169.254/x")
    assert refused.value.field == "url"


def test_api_refuses_an_off_list_webhook_with_a_400_naming_url(tenant, admin_client_for):
    response = admin_client_for.post(
        "/api/v1/notifications/destinations/",
        {"kind": "webhook", "url": "http://internal.example/hook"},
        format="json",
    )
    assert response.status_code == 400 and "url" in response.json()["errors"]
