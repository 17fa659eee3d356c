"""A request carrying an e-mail address, a phone number and a card number leaves none of them
in the captured log output (the platform's configured handlers, loguru included)."""

from __future__ import annotations

import io
import logging
from urllib.parse import quote

import pytest

from apps.accounts.roles import Role

EMAIL = "jane.doe@example.com"
PHONE = "+1 415-555-0132"
CARD = "4111 1111 1111 1111"


@pytest.fixture
def captured_log():
    """Point the configured console handler(s) at a buffer; yield the buffer."""
    from apps.privacy.logging import PiiMaskingFilter

    handlers = [
        h
        for h in logging.getLogger().handlers
        if isinstance(h, logging.StreamHandler)
        and any(isinstance(f, PiiMaskingFilter) for f in h.filters)
    ]
    assert handlers, "LOGGING configured no masked stream handler on the root logger"
    buffer = io.StringIO()
    saved = [h.setStream(buffer) for h in handlers]
    try:
        yield buffer
    finally:
        for handler, stream in zip(handlers, saved, strict=True):
            handler.setStream(stream)


@pytest.mark.django_db
def test_request_with_personal_data_leaves_none_in_logs(captured_log, tenant, make_api_client):
    client = make_api_client(tenant, Role.ADMIN)
    # In the path (a 404 is logged with its path), in the query string (the request log line),
    # and in a body whose invalid value DRF quotes back in the error that gets logged.
    client.get(f"/api/v1/jobs/{quote(EMAIL)}/", {"note": f"call {PHONE} card {CARD}"})
    client.get("/api/v1/jobs/", {"kind": f"{EMAIL} {PHONE} {CARD}"})
    client.post(
        "/api/v1/accounts/api-keys/",
        {"name": "x", "role": f"{EMAIL} {PHONE} {CARD}"},
        format="json",
    )
    from loguru import logger as loguru_logger

    loguru_logger.info(f"pyrush-style message about {EMAIL}, {PHONE}, {CARD}")

    output = captured_log.getvalue()
    assert "request refused" in output and "/api/v1/jobs/" in output, "nothing was captured"
    assert "pyrush-style message" in output, "loguru output did not reach the handlers"
    for needle in (EMAIL, PHONE, CARD, "4111111111111111", "415-555-0132", "jane.doe"):
        assert needle not in output, f"{needle!r} leaked into the logs"
    assert "<EMAIL_ADDRESS>" in output
    assert "<CREDIT_CARD>" in output
    assert "<PHONE_NUMBER>" in output


@pytest.mark.django_db
def test_log_lines_are_json_with_the_request_id(captured_log, client):
    import json

    client.get("/healthz", HTTP_X_REQUEST_ID="trace-77")
    lines = [json.loads(line) for line in captured_log.getvalue().splitlines() if line]
    assert any(line.get("request_id") == "trace-77" for line in lines), lines
