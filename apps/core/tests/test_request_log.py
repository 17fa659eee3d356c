"""The request log line: whole milliseconds, so that a slow request's line does not look like
personal data to the masking filter's pre-check (and never pays for a Presidio analysis)."""

from __future__ import annotations

import logging

import pytest

from apps.core import middleware
from apps.privacy.logmask import may_contain_pii

pytestmark = pytest.mark.django_db


def test_slow_request_line_has_whole_milliseconds_and_passes_the_precheck(
    client, caplog, monkeypatch
):
    ticks = iter([100.0, 101.0541])  # the request takes 1054.1 ms
    monkeypatch.setattr(middleware.time, "monotonic", lambda: next(ticks))
    with caplog.at_level(logging.INFO, logger="apps.request"):
        client.get("/healthz")
    lines = [r.getMessage() for r in caplog.records if r.name == "apps.request"]
    assert lines == ["GET /healthz -> 200 in 1054 ms"]
    assert not may_contain_pii(lines[0])
    # What the line used to say would have gone through Presidio:
    assert may_contain_pii("GET /healthz -> 200 in 1054.1 ms")


def test_a_request_slower_than_ten_seconds_is_logged_in_seconds(client, caplog, monkeypatch):
    """ "15280 ms" has five digits in a row and would go through Presidio: "15.3 s" does not."""
    ticks = iter([100.0, 115.28])
    monkeypatch.setattr(middleware.time, "monotonic", lambda: next(ticks))
    with caplog.at_level(logging.INFO, logger="apps.request"):
        client.get("/healthz")
    lines = [r.getMessage() for r in caplog.records if r.name == "apps.request"]
    assert lines == ["GET /healthz -> 200 in 15.3 s"]
    assert not may_contain_pii(lines[0])
    assert may_contain_pii("GET /healthz -> 200 in 15280 ms")


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0.0004, "0 ms"),
        (9.9994, "9999 ms"),
        (9.9996, "10.0 s"),
        (999.94, "999.9 s"),
        (4321.2, "4321 s"),
    ],
)
def test_durations_never_have_five_digits(seconds, text):
    assert middleware.request_duration_text(seconds) == text
    assert not may_contain_pii(f"POST /api/v1/x -> 201 in {text}")
