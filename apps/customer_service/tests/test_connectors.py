"""The HTTP connector against real local HTTP servers started by the test (never a mock of the
client): the demo order API (success, cancellation once per idempotency key, the auth header
from a declared secret), a slow server (time-out, retries, circuit breaker), a failing one
(5xx), one whose answer does not match the mapping, and a URL off the allow-list (refused
before any call). In the dialogue, a failing system becomes a polite reply and a handoff."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from apps.audit.models import AuditEvent
from apps.customer_service import services
from apps.customer_service.api.serializers import ReplySerializer
from apps.customer_service.demo import order_api
from apps.customer_service.models import Connector, ConnectorCall, Handoff, HandoffReason
from apps.customer_service.services import connectors
from apps.customer_service.services.assistant import AssistantConfigError, connector_save
from apps.customer_service.services.demo import demo_profile

pytestmark = pytest.mark.django_db
MAPPING = demo_profile("books")["connector"]["mapping"]


@pytest.fixture
def order_server():
    server, store = order_api.serve()
    yield f"http://127.0.0.1:{server.server_port}", store
    server.shutdown()
    server.server_close()


def serve(behaviour):
    """A local server answering every request with ``behaviour(handler)``; counts requests."""
    seen = []

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            return

        def do_GET(self):  # noqa: N802
            seen.append(self.path)
            behaviour(self)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, seen


def answer(handler, status, body):
    data = json.dumps(body).encode()
    handler.send_response(status)
    handler.send_header("Content-Type", "application/json")
    handler.send_header("Content-Length", str(len(data)))
    handler.end_headers()
    handler.wfile.write(data)


def http_connector(tenant, url, **fields):
    return connector_save(
        tenant=tenant, kind="http", base_url=url, mapping=MAPPING, retries=1, **fields
    )


def test_success_maps_the_shops_answer(tenant, order_server, settings, monkeypatch):
    url, store = order_server
    settings.CUSTOMER_SERVICE_CONNECTOR_SECRETS = ["SHOP_ORDER_KEY"]
    monkeypatch.setenv("SHOP_ORDER_KEY", "s3cret")
    http_connector(tenant, url, auth_header="X-Api-Key", auth_secret="SHOP_ORDER_KEY")
    order = connectors.order_lookup(tenant=tenant, number="3100123")
    assert (order.number, order.status, order.tracking) == ("3100123", "shipped", "RM482913557GB")
    assert store.requests[-1]["headers"]["X-Api-Key"] == "s3cret"
    assert connectors.order_lookup(tenant=tenant, number="9999999") is None  # 404: no order
    events = AuditEvent.objects.filter(action="customer_service.connector.order_get")
    assert {e.details["outcome"] for e in events} == {"found", "not_found"}
    assert not any("3100123" in json.dumps(e.details) + e.resource_id for e in events)


def test_cancellation_runs_once_per_idempotency_key(tenant, order_server):
    url, store = order_server
    http_connector(tenant, url)
    first = connectors.order_cancel(tenant=tenant, number="3100124", key="conv-1:cancel")
    again = connectors.order_cancel(tenant=tenant, number="3100124", key="conv-1:cancel")
    assert first.status == again.status == "cancelled"
    posts = [r for r in store.requests if r["method"] == "POST"]
    assert len(posts) == 1 and posts[0]["headers"]["Idempotency-Key"] == "conv-1:cancel"
    assert ConnectorCall.objects.filter(tenant=tenant).count() == 1


def test_time_out_is_retried_then_opens_the_circuit_breaker(tenant):
    server, seen = serve(lambda h: (time.sleep(1.5), answer(h, 200, {})))
    try:
        url = f"http://127.0.0.1:{server.server_port}"
        http_connector(tenant, url, timeout_s=0.3, breaker_threshold=2)
        for _ in range(2):
            with pytest.raises(connectors.ConnectorError):
                connectors.order_lookup(tenant=tenant, number="3100123")
        assert len(seen) == 4  # two calls, each tried twice (retries=1)
        with pytest.raises(connectors.ConnectorError, match="circuit breaker open"):
            connectors.order_lookup(tenant=tenant, number="3100123")
        assert len(seen) == 4  # the open breaker calls nothing
        assert Connector.objects.get(tenant=tenant).open_until is not None
    finally:
        server.shutdown()
        server.server_close()


def test_5xx_is_retried_then_an_error(tenant):
    server, seen = serve(lambda h: answer(h, 503, {"error": "maintenance"}))
    try:
        http_connector(tenant, f"http://127.0.0.1:{server.server_port}")
        with pytest.raises(connectors.ConnectorError, match="HTTP 503"):
            connectors.order_lookup(tenant=tenant, number="3100123")
        assert len(seen) == 2
    finally:
        server.shutdown()
        server.server_close()


def test_an_answer_that_does_not_match_the_mapping_is_an_error(tenant):
    server, _ = serve(lambda h: answer(h, 200, {"id": "3100123", "status": "shipped"}))
    try:
        http_connector(tenant, f"http://127.0.0.1:{server.server_port}")
        with pytest.raises(connectors.ConnectorError, match="does not match the mapping"):
            connectors.order_lookup(tenant=tenant, number="3100123")
    finally:
        server.shutdown()
        server.server_close()


def test_a_url_off_the_allow_list_is_refused_before_any_call(tenant, settings):
    with pytest.raises(AssistantConfigError) as refused:
        http_connector(tenant, "http://169.254.169.254/latest")
    assert refused.value.field == "base_url"
    # Stored before the allow-list changed: refused at call time, nothing is requested.
    row = Connector.objects.create(
        tenant=tenant, kind="http", base_url="http://10.0.0.7:8080", mapping=MAPPING
    )
    with pytest.raises(connectors.ConnectorRefused):
        connectors.HttpConnector(tenant, row).order_get("3100123")


def test_api_refuses_a_connector_off_the_allow_list(tenant, admin_client_for):
    response = admin_client_for.post(
        "/api/v1/customer-service/connectors/",
        {"kind": "http", "base_url": "http://metadata.internal/", "mapping": MAPPING},
        format="json",
    )
    assert response.status_code == 400 and "base_url" in response.json()["errors"]


def _reply(conversation, text):
    return ReplySerializer(services.message_reply(conversation=conversation, text=text)).data


def test_dialogue_over_the_http_connector_confirms_then_cancels_once(tenant, order_server):
    from .factories import setup_demo_tenant

    url, store = order_server
    setup_demo_tenant(tenant, profile="books", order_api_url=url)
    conversation = services.conversation_start(tenant=tenant)
    status = _reply(conversation, "Where is order 3100123?")
    assert "3100123" in status["reply"] and "RM482913557GB" in status["reply"]
    conversation.refresh_from_db()
    asked = _reply(conversation, "Please cancel order 3100124")
    assert asked["pending_confirmation"] and "3100124" in asked["reply"]
    assert store.orders["3100124"]["state"] == "open"  # nothing changed before the "yes"
    conversation.refresh_from_db()
    done = _reply(conversation, "yes")
    assert "cancelled" in done["reply"] and store.orders["3100124"]["state"] == "cancelled"


def test_a_failing_order_system_is_a_polite_reply_and_a_handoff(tenant):
    from .factories import setup_demo_tenant

    server, _ = serve(lambda h: answer(h, 500, {}))
    try:
        url = f"http://127.0.0.1:{server.server_port}"
        setup_demo_tenant(tenant, profile="books", order_api_url=url)
        conversation = services.conversation_start(tenant=tenant)
        reply = _reply(conversation, "订单3100123到哪里了？")
        assert reply["handoff_reason"] == HandoffReason.CONNECTOR_ERROR
        assert "订单系统" in reply["reply"]  # in the customer's language
        assert Handoff.objects.filter(conversation=conversation).exists()
    finally:
        server.shutdown()
        server.server_close()
