"""Tenant export: a documented archive of JSON lines per table, only the tenant's rows."""

from __future__ import annotations

import json
import zipfile
from io import StringIO

import pytest
from django.core.management import call_command

from apps.audit.models import AuditEvent
from apps.customer_service.tests import factories as cs

pytestmark = pytest.mark.django_db


def test_export_command_writes_only_the_tenants_rows(tenant, other_tenant, tmp_path):
    mine = cs.turn(tenant, text="my text")
    cs.turn(other_tenant, text="their text")
    out = tmp_path / "export.zip"
    call_command("privacy_export", "--tenant", tenant.slug, "--output", str(out), stdout=StringIO())
    with zipfile.ZipFile(out) as archive:
        assert {"README.txt", "tenant.json", "customer_service_turn.jsonl"} <= set(
            archive.namelist()
        )
        turns = [
            json.loads(line) for line in archive.read("customer_service_turn.jsonl").splitlines()
        ]
    assert {t["text"] for t in turns} == {"When do you ship?", "my text"}
    assert {t["tenant_id"] for t in turns} == {str(tenant.pk)}
    assert str(mine.pk) in {t["id"] for t in turns}
    assert AuditEvent.objects.filter(tenant=tenant, action="privacy.tenant.export").exists()
