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
