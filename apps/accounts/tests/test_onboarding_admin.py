"""The admin's "Onboard a tenant" page: platform staff only, all or nothing, audited, the first
password shown once, and the verticals' demo content as a job that seeds each of them."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from apps.accounts.models import Invitation, Quota, Tenant
from apps.accounts.roles import Role
from apps.accounts.tests.factories import admin_signed_in
from apps.accounts_surface import onboarding_admin
from apps.accounts_surface.demo_content import (
    DEMO_JOB_KIND,
    demo_seed_commands,
    tenant_demo_content,
)
from apps.audit.models import AuditEvent
from apps.jobs.models import Job

pytestmark = pytest.mark.django_db

URL = "/admin/accounts/tenant/onboard/"
FORM = {
    "name": "Borealis Books",
    "slug": "",
    "admin_username": "bo-admin",
    "admin_email": "bo-admin@example.com",
    "quota_requests_per_day": "500",
}


@pytest.fixture
def staff_client(client):
    superuser = get_user_model().objects.create_superuser("platform-op", "op@example.com", "x")
    client.force_login(superuser)
    return client


def test_platform_staff_onboard_a_tenant_from_the_tenant_list(staff_client):
    listing = staff_client.get("/admin/accounts/tenant/")
    assert URL in listing.content.decode()
    assert staff_client.get(URL).status_code == 200

    answer = staff_client.post(URL, FORM)

    assert answer.status_code == 200
    tenant = Tenant.objects.get(slug="borealis-books")
    assert tenant.name == "Borealis Books"
    assert Quota.objects.get(tenant=tenant, metric="requests_per_day").limit == 500
    invitation = Invitation.objects.get(tenant=tenant)
    user = get_user_model().objects.get(username="bo-admin")
    assert (invitation.user, invitation.role) == (user, Role.ADMIN)
    assert user.email == "bo-admin@example.com"
    page = answer.content.decode()
    # The first password is on the answer page, once, and it works.
    password = page.split('id="first-password"')[1].split("<code>")[1].split("</code>")[0]
    assert user.check_password(password)
    events = AuditEvent.objects.filter(tenant=tenant)
    actions = set(events.values_list("action", flat=True))
    assert {"accounts.tenant.create", "accounts.invitation.create"} <= actions
    # Audited under the signed-in operator, not as an anonymous caller.
    assert set(events.values_list("actor_kind", flat=True)) == {"user"}
    created = events.get(action="accounts.tenant.create")
    assert created.details["admin_account_created"] is True
    assert not Job.objects.filter(tenant=tenant).exists()  # no demo content asked for


def test_a_tenant_admin_can_neither_see_nor_use_onboarding(client, make_member, tenant):
    admin_signed_in(client, make_member(tenant, Role.ADMIN), tenant)
    assert URL not in client.get("/admin/accounts/tenant/").content.decode()
    assert client.get(URL).status_code == 403
    assert client.post(URL, FORM).status_code == 403
    assert not Tenant.objects.filter(slug="borealis-books").exists()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"slug": "acme"}, "slug"),  # exists already
        ({"quota_requests_per_day": "-1"}, "quota_requests_per_day"),
        ({"admin_username": ""}, "admin_username"),
        ({"name": ""}, "name"),
        ({"name": "B" * 70}, "slug"),  # the slug made from it would not fit
        ({"slug": "x" * 65}, "slug"),
        ({"quota_requests_per_day": str(2**63)}, "quota_requests_per_day"),
        ({"admin_username": "bo admin!"}, "admin_username"),
    ],
)
def test_bad_input_is_named_and_nothing_is_kept(staff_client, tenant, change, field):
    users = get_user_model().objects.count()
    answer = staff_client.post(URL, {**FORM, **change})
    assert answer.status_code == 200
    assert field in answer.context["form"].errors, answer.context["form"].errors
    assert Tenant.objects.count() == 1  # the fixture's only
    assert get_user_model().objects.count() == users
    assert not Invitation.objects.exists()


def test_without_a_broker_the_page_names_the_command_instead_of_seeding_inline(
    staff_client, monkeypatch
):
    # make run's zero-setup mode: a queued job would run inside the request for minutes.
    monkeypatch.setattr(onboarding_admin, "tasks_run_in_process", lambda: True)
    answer = staff_client.post(URL, {**FORM, "demo_content": "on"})
    page = answer.content.decode()
    assert "manage.py tenant_demo_content borealis-books" in page
    assert 'id="first-password"' in page  # the one copy of the password is not lost
    assert not Job.objects.filter(kind=DEMO_JOB_KIND).exists()


def test_demo_content_is_an_audited_job_that_seeds_every_vertical(staff_client, monkeypatch):
    monkeypatch.setattr(onboarding_admin, "tasks_run_in_process", lambda: False)  # a broker
    answer = staff_client.post(URL, {**FORM, "demo_content": "on"})
    tenant = Tenant.objects.get(slug="borealis-books")
    job = Job.objects.get(tenant=tenant, kind=DEMO_JOB_KIND)
    assert str(job.pk) in answer.content.decode()
    started = AuditEvent.objects.get(tenant=tenant, action="accounts.demo_content.start")
    assert started.details["verticals"] == [vertical for vertical, _ in demo_seed_commands()]

    # The job's body, in this process: every vertical that declares demo content seeds it.
    steps = []
    seeded = tenant_demo_content(tenant=tenant, progress=lambda *step: steps.append(step))
    assert set(seeded) == {vertical for vertical, _ in demo_seed_commands()}
    assert {"customer_service", "financial_risk"} <= set(seeded)
    assert steps[-1][:2] == (len(seeded), len(seeded))
    from apps.customer_service.document_models import Document
    from apps.financial_risk.models import RiskModel

    assert RiskModel.objects.filter(tenant=tenant).exists()
    assert Document.objects.filter(tenant=tenant).exists()


def test_demo_content_for_an_unknown_tenant_names_the_slug():
    from django.core.management import CommandError, call_command

    with pytest.raises(CommandError, match="slug: no tenant 'nope'"):
        call_command("tenant_demo_content", "nope")
