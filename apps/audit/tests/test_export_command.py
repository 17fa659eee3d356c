"""audit_export: JSON lines for a time window, one tenant or all, to stdout or a file."""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from apps.audit.hashing import canonical_json
from apps.audit.services import audit_event_record

pytestmark = pytest.mark.django_db


def export(*args) -> list[dict]:
    out = StringIO()
    call_command("audit_export", *args, stdout=out)
    return [json.loads(line) for line in out.getvalue().splitlines()]


@pytest.fixture
def events(tenant, other_tenant):
    return [
        audit_event_record(tenant=tenant, action="test.a"),
        audit_event_record(tenant=other_tenant, action="test.b"),
        audit_event_record(tenant=None, action="http.get.denied", outcome="denied"),
        audit_event_record(tenant=tenant, action="test.c"),
    ]


def test_exports_every_chain_oldest_first(events):
    lines = export("--since", "2000-01-01")
    assert [line["id"] for line in lines] == [str(e.id) for e in events]


def test_lines_can_be_reverified_offline(events):
    for line in export("--since", "2000-01-01"):
        content = {k: v for k, v in line.items() if k not in ("seq", "hash")}
        assert hashlib.sha256(canonical_json(content).encode()).hexdigest() == line["hash"]


def test_tenant_and_until(events, tenant):
    lines = export("--since", "2000-01-01", "--tenant", tenant.slug)
    assert [line["action"] for line in lines] == ["test.a", "test.c"]
    assert export("--since", "2000-01-01", "--until", "2000-01-02") == []
    tomorrow = (timezone.now() + timedelta(days=1)).date().isoformat()
    assert export("--since", tomorrow) == []


def test_output_file(events, tmp_path):
    target = tmp_path / "audit.jsonl"
    call_command(
        "audit_export", "--since", "2000-01-01", "--output", str(target), stderr=StringIO()
    )
    lines = target.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 4
    assert json.loads(lines[0])["id"] == str(events[0].id)


@pytest.mark.parametrize(
    "args",
    [["--since", "last week"], ["--since", "2000-01-01", "--tenant", "nope"]],
)
def test_bad_arguments(args):
    with pytest.raises(CommandError):
        call_command("audit_export", *args, stdout=StringIO())
