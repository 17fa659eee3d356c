"""Web login lockout (django-axes), audited admin reads, and the demo seed."""

from pathlib import Path

import pytest
from django.core.management import call_command
from django.urls import reverse

from apps.accounts.models import ApiKey, Membership
from apps.accounts.roles import Role
from apps.accounts.services import api_key_create
from apps.audit.models import AuditEvent
from apps.core.public_ids import user_public_id

pytestmark = pytest.mark.django_db


def test_repeated_failed_logins_lock_the_account_out(client, tenant, make_member, settings):
    settings.AXES_FAILURE_LIMIT = 3
    user = make_member(tenant, Role.ADMIN)
    url = reverse("admin:login")
    for _ in range(3):
        client.post(url, {"username": user.username, "password": "wrong"})
    locked = client.post(url, {"username": user.username, "password": "correct-horse-battery"})
    assert locked.status_code == 429
    assert "locked" in locked.json()["detail"]
    assert AuditEvent.objects.filter(action="accounts.login.locked_out").exists()


def test_correct_login_works_before_the_limit(client, tenant, make_member):
    user = make_member(tenant, Role.ADMIN)
    response = client.post(
        reverse("admin:login"),
        {"username": user.username, "password": "correct-horse-battery", "next": "/admin/"},
    )
    assert response.status_code == 302


def test_reading_a_sensitive_model_in_the_admin_is_audited(client, tenant, make_member):
    user = make_member(tenant, Role.ADMIN)
    key = api_key_create(tenant=tenant, name="crm", role=Role.AGENT).api_key
    client.force_login(user)
    response = client.get(reverse("admin:accounts_apikey_change", args=[key.pk]))
    assert response.status_code == 200
    event = AuditEvent.objects.get(action="accounts.apikey.admin_read")
    assert event.tenant_id == tenant.pk
    assert event.resource_id == str(key.pk)
    # Pseudonymous: no username, and no sequential id either (issue 17).
    assert event.actor_label == f"user:{user_public_id(user.pk)}"


def test_admin_role_limits_what_staff_see(client, tenant, make_member):
    """An agent is staff but may not manage API keys or members."""
    client.force_login(make_member(tenant, Role.AGENT))
    assert client.get(reverse("admin:accounts_apikey_changelist")).status_code == 403
    assert client.get(reverse("admin:accounts_membership_changelist")).status_code == 403
    assert client.get(reverse("admin:jobs_job_changelist")).status_code == 200


def test_seed_demo_is_idempotent(tmp_path: Path, settings, capsys):
    settings.DEBUG = True
    key_file = tmp_path / "demo_api_key"
    call_command("seed_demo", key_file=str(key_file))
    first = capsys.readouterr().out
    call_command("seed_demo", key_file=str(key_file))
    second = capsys.readouterr().out
    token = key_file.read_text().strip()
    assert f"DEMO_API_KEY={token}" in first and f"DEMO_API_KEY={token}" in second
    assert ApiKey.objects.filter(tenant__slug="demo").count() == 1
    assert set(
        Membership.objects.filter(tenant__slug="demo").values_list("role", flat=True)
    ) == set(Role.values)
    assert client_can_login("demo-auditor")


def client_can_login(username: str) -> bool:
    from django.contrib.auth import authenticate
    from django.test import RequestFactory

    from apps.accounts.management.commands.seed_demo import DEMO_PASSWORD

    request = RequestFactory().post("/admin/login/")
    return authenticate(request, username=username, password=DEMO_PASSWORD) is not None


def test_seed_demo_refuses_without_debug(settings):
    from django.core.management.base import CommandError

    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG"):
        call_command("seed_demo")
