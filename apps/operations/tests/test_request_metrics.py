"""An API request's metrics are recorded once the server closes the response, after the
answer is sent, and a process sends its counts to Redis once per interval, not per request."""

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


@pytest.fixture
def minute(settings):
    """This minute, with rows of this test's own and nothing of an earlier test held back; the
    process sends its counts once an hour unless the test says otherwise."""
    settings.OPERATIONS_METRICS_PREFIX = f"ops:test:{uuid.uuid4().hex}"
    settings.OPERATIONS_METRICS_FLUSH_S = 3600
    recorder.flush()
    return int(time.time() // 60)


@pytest.mark.redis
def test_a_process_sends_its_counts_at_most_once_per_flush_interval(settings, monkeypatch, minute):
    """Requests are added up in memory and sent in one script call per interval (one call per
    request cost a busy web process about 5 % of its CPU); reading the rows sends them first."""
    sent = []
    real_send = recorder._send
    monkeypatch.setattr(
        recorder, "_send", lambda client, rows: sent.append(rows) or real_send(client, rows)
    )
    client = recorder._redis()
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
def test_reading_the_rows_sends_this_process_counts_first(minute):
    recorder.record("knowledge", 200, 0.012, now=minute * 60 + 1)
    assert recorder._redis().hgetall(recorder._key(minute)) == {}
    assert recorder.minutes(minute, 1)[0]["knowledge|n"] == 1


@pytest.mark.redis
def test_a_process_that_goes_quiet_still_sends_its_counts(settings, minute):
    """The background sender: no later request and no reader is needed."""
    settings.OPERATIONS_METRICS_FLUSH_S = 0.2
    recorder.record("knowledge", 200, 0.012, now=minute * 60 + 1)
    client = recorder._redis()
    deadline = time.monotonic() + 20
    while not client.hgetall(recorder._key(minute)) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert client.hget(recorder._key(minute), "knowledge|n") == b"1"


@pytest.mark.redis
def test_gunicorn_quick_shutdown_sends_the_counts_a_worker_holds(tmp_path, settings):
    """SIGINT (Ctrl-C, gunicorn's quick shutdown) ends a worker with os._exit, which skips
    atexit: config/gunicorn_conf.py's worker_int sends the counts first."""
    import os
    import signal
    import subprocess
    import sys
    import urllib.error
    import urllib.request
    from pathlib import Path

    from tests.test_trust_findings import _free_port

    prefix = f"ops:test:{uuid.uuid4().hex}"
    port = _free_port()
    root = Path(__file__).resolve().parents[3]
    env = dict(
        os.environ,
        DJANGO_SETTINGS_MODULE="config.settings.test",
        OPERATIONS_METRICS_PREFIX=prefix,
        OPERATIONS_METRICS_FLUSH_S="3600",  # nothing is sent before the shutdown
    )
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "config.wsgi:application", "-c",
         "config/gunicorn_conf.py", "--bind", f"127.0.0.1:{port}", "--workers", "1"],
        cwd=root, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        answered = 0
        for _ in range(240):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/models/", timeout=120)
            except urllib.error.HTTPError:  # 401 without a key: counted all the same
                answered += 1
                if answered == 3:
                    break
            except urllib.error.URLError as exc:  # not listening yet; anything else fails
                if not isinstance(exc.reason, ConnectionRefusedError):
                    raise
                time.sleep(0.5)
        assert answered == 3
        client = recorder._redis()
        assert not any(client.scan_iter(f"{prefix}:*")), "sent before the shutdown"
        server.send_signal(signal.SIGINT)
        server.wait(60)
        rows = [client.hgetall(key) for key in client.scan_iter(f"{prefix}:*")]
        assert sum(int(row.get(b"inference API|n", 0)) for row in rows) == 3
    finally:
        if server.poll() is None:
            server.kill()
            server.wait(10)
