"""Continuous batching in a real inference worker: a chat request sent while another one is
streaming joins its running batch and finishes first, both streams carry their answers, and the
worker's record says the chat model is served by the continuous scheduler."""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connection

from apps.accounts.roles import Role
from config.celery import app as celery_app
from models_runtime.testing import parse_chat_sse
from tests.workers import celery_worker, real_broker

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def _client(token):
    from rest_framework.test import APIClient

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {token}")
    return client


def _stream(token, content, tokens, record):
    """Send one streaming chat request; ``record`` gets (time, chunk) per chunk read."""
    response = _client(token).post(
        "/api/v1/inference/chat",
        {
            "messages": [{"role": "user", "content": content}],
            "max_new_tokens": tokens,
            "ignore_eos": True,
            "cache": False,
            "stream": True,
        },
        format="json",
    )
    assert response.status_code == 200, response
    for chunk in response.streaming_content:
        record.append((time.monotonic(), chunk))
    return parse_chat_sse(b"".join(c for _, c in record).decode())


def test_a_request_joins_a_running_batch_in_the_worker(tenant, make_api_client):
    from models_runtime.tasks import status_task

    token = make_api_client(tenant, Role.AGENT).token
    long_chunks, short_chunks, answers, errors = [], [], {}, []

    def long_request():
        try:
            answers["long"] = _stream(token, "Write a long story about a ship.", 48, long_chunks)
        except Exception as exc:  # reported below
            errors.append(exc)
        finally:
            connection.close()

    with celery_worker("inference", pool="threads", concurrency=8), real_broker(celery_app):
        _stream(token, "Hello!", 2, [])  # load the model
        thread = threading.Thread(target=long_request)
        thread.start()
        deadline = time.monotonic() + 240
        while len(long_chunks) < 2 and time.monotonic() < deadline and thread.is_alive():
            time.sleep(0.05)
        assert len(long_chunks) >= 2, errors  # the long request is streaming
        answers["short"] = _stream(token, "Write a long story about a king.", 4, short_chunks)
        short_done = time.monotonic()
        thread.join(300)
        stats = status_task.apply_async(queue="inference.chat").get(timeout=30)

    assert not errors, errors
    long_deltas, long_done = answers["long"]
    short_deltas, short_done_event = answers["short"]
    assert short_done < long_chunks[-1][0]  # it finished while the long one still streamed
    assert short_done_event["usage"]["tokens_out"] == 4
    assert long_done["usage"]["tokens_out"] == 48
    assert short_done_event["timings"]["batch_size"] == 2  # it shared decoding steps
    assert "".join(long_deltas) == long_done["message"]["content"]
    assert "".join(short_deltas) == short_done_event["message"]["content"]
    assert stats["stats"]["chat"]["mode"] == "continuous"
