"""Onboarding a tenant with ``manage.py tenant_create``: the tenant, its first administrator's
invitation and its own quotas in one step, audited; bad input names the field and keeps
nothing."""

from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from apps.accounts.models import Invitation, Quota, Tenant
from apps.accounts.roles import Role
from apps.audit.selectors import audit_events_of

pytestmark = pytest.mark.django_db


def run(*args) -> str:
    out = StringIO()
    call_command("tenant_create", *args, stdout=out)
    return out.getvalue()


def test_a_new_tenant_its_new_admin_invited_and_its_quota_audited():
    out = run("Clinic North", "--admin", "dr-admin", "--quota", "requests_per_day=500")
    tenant = Tenant.objects.get(slug="clinic-north")
    invitation = Invitation.objects.get(tenant=tenant)
    assert invitation.user.username == "dr-admin" and invitation.role == Role.ADMIN
    assert invitation.accepted_at is None  # they join by accepting it themselves
    password = out.split("(shown once): ")[1].strip()
    assert get_user_model().objects.get(username="dr-admin").check_password(password)
    assert Quota.objects.get(tenant=tenant, metric="requests_per_day").limit == 500
    actions = [event.action for event in audit_events_of(tenant=tenant).order_by("seq")]
    assert actions == ["accounts.tenant.create", "accounts.invitation.create"]


def test_an_existing_user_is_invited_and_no_password_is_made_up(make_member, tenant):
    user = make_member(tenant, Role.ANALYST)
    out = run("Bank South", "--slug", "bank-south", "--admin", user.username)
    assert "shown once" not in out
    assert Invitation.objects.get(tenant__slug="bank-south").user == user


@pytest.mark.parametrize(
    ("args", "field"),
    [
        (("--quota", "requests_per_week=5"), "quota"),
        (("--quota", "requests_per_day=-1"), "quota"),
        (("--slug", "taken"), "slug"),
    ],
)
def test_bad_input_names_the_field_and_keeps_nothing(args, field):
    Tenant.objects.create(name="Taken", slug="taken")
    before = (Tenant.objects.count(), get_user_model().objects.count())
    with pytest.raises(CommandError, match=rf"^{field}: "):
        run("Another", "--admin", "someone-new", *args)
    assert (Tenant.objects.count(), get_user_model().objects.count()) == before


def test_a_deactivated_user_cannot_become_a_tenants_admin():
    get_user_model().objects.create_user(username="gone", password="x", is_active=False)
    with pytest.raises(CommandError, match="^admin: "):
        run("Shop East", "--admin", "gone")
    assert not Tenant.objects.filter(slug="shop-east").exists()
