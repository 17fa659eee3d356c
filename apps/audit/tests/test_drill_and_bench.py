"""The evaluation commands in their CI variants: the attack drill detects every attack; the
benchmark prints its figures as the last line (values are judged by the acceptance check)."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import call_command

pytestmark = pytest.mark.django_db


def _last_json(out: StringIO) -> dict:
    return json.loads(out.getvalue().strip().splitlines()[-1])


def test_attack_drill_smoke_detects_every_attack():
    out = StringIO()
    call_command("audit_attack_drill", "--smoke", stdout=out)
    result = _last_json(out)
    assert result["attacks"] >= 5 and result["undetected"] == 0, result
    assert "platform-wide truncate" in result["detected"]


def test_bench_audit_smoke_prints_its_figures():
    out = StringIO()
    call_command("bench_audit", "--smoke", stdout=out)
    figures = _last_json(out)
    assert figures["verify_ok"] is True
    assert figures["events_verified"] == 2 * figures["events_per_round"] * figures["rounds"]
    for key in ("anchored_over_plain", "anchor_lag_s_p99", "verify_s_per_million"):
        assert figures[key] > 0
