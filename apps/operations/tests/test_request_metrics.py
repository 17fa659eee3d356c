"""An API request's metrics are recorded once the server closes the response, after the
answer is sent: the recorder's Redis round trip is not part of the client's wait."""

from __future__ import annotations

import time
import uuid

import pytest
from django.http import HttpResponse
from django.test import RequestFactory

from apps.operations import recorder

pytestmark = pytest.mark.django_db

PATH = "/api/v1/risk/transactions/score"


def counted(group: str) -> int:
    minute = int(time.time() // 60)
    return sum(row.get(f"{group}|n", 0) for row in recorder.minutes(minute - 1, 3))


def test_the_request_is_recorded_when_the_response_is_closed():
    group = recorder.group_of(PATH)
    middleware = recorder.RequestMetricsMiddleware(lambda request: HttpResponse(status=201))
    before = counted(group)
    response = middleware(RequestFactory().post(PATH))
    assert response.status_code == 201
    assert counted(group) == before  # the answer goes out first
    response.close()  # what the WSGI server does once the body is written
    assert counted(group) == before + 1


@pytest.mark.redis
def test_a_process_sends_its_counts_at_most_once_per_flush_interval(settings, monkeypatch):
    """Requests are added up in memory and sent in one script call per interval (one call per
    request cost a busy web process about 5 % of its CPU); reading the rows sends them first."""
    settings.OPERATIONS_METRICS_PREFIX = f"ops:test:{uuid.uuid4().hex}"
    settings.OPERATIONS_METRICS_FLUSH_S = 3600
    recorder.flush()  # nothing of an earlier test left in this process
    sent = []
    real_send = recorder._send
    monkeypatch.setattr(
        recorder, "_send", lambda client, rows: sent.append(rows) or real_send(client, rows)
    )
    client = recorder._redis()
    minute = int(time.time() // 60)
    for ms in (5, 30, 700):
        recorder.record("inference API", 200, ms / 1000, now=minute * 60 + 1)
    recorder.record("inference API", 503, 0.002, now=minute * 60 + 2)
    assert sent == []
    assert client.hgetall(recorder._key(minute)) == {}  # nothing in Redis yet
    # Once the interval has passed, the next request sends everything held so far, once.
    settings.OPERATIONS_METRICS_FLUSH_S = 0
    recorder.record("inference API", 200, 0.040, now=minute * 60 + 3)
    assert len(sent) == 1
    row = recorder.minutes(minute, 1)[0]
    assert row["inference API|n"] == 5
    assert row["inference API|s2"] == 4 and row["inference API|s5"] == 1
    assert row["inference API|ms"] == 5 + 30 + 700 + 2 + 40
    assert sum(v for k, v in row.items() if "|b" in k) == 5


@pytest.mark.redis
def test_reading_the_rows_sends_this_process_counts_first(settings):
    settings.OPERATIONS_METRICS_PREFIX = f"ops:test:{uuid.uuid4().hex}"
    settings.OPERATIONS_METRICS_FLUSH_S = 3600
    recorder.flush()
    minute = int(time.time() // 60)
    recorder.record("knowledge", 200, 0.012, now=minute * 60 + 1)
    assert recorder._redis().hgetall(recorder._key(minute)) == {}
    assert recorder.minutes(minute, 1)[0]["knowledge|n"] == 1
