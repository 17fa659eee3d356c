"""The read-only admin: auditors and admins see their tenant's log; nobody adds, changes or
deletes, superusers included."""

from __future__ import annotations

import pytest
from django.contrib.admin.sites import site
from django.test import RequestFactory
from django.urls import reverse

from apps.accounts.roles import Role
from apps.accounts.tests.factories import UserFactory
from apps.audit.models import AuditCheckpoint, AuditEvent
from apps.audit.services import audit_checkpoint_create, audit_event_record

pytestmark = pytest.mark.django_db


def url(view, *args, model="auditevent"):
    return reverse(f"admin:audit_{model}_{view}", args=args)


@pytest.fixture
def events(tenant, other_tenant):
    return (
        audit_event_record(tenant=tenant, action="test.mine", request_id="req-mine"),
        audit_event_record(tenant=other_tenant, action="test.theirs"),
    )


def test_auditor_sees_only_their_tenants_events(client, make_member, tenant, events):
    mine, theirs = events
    client.force_login(make_member(tenant, Role.AUDITOR))
    response = client.get(url("changelist"))
    assert response.status_code == 200
    shown = {event.pk for event in response.context["cl"].result_list}
    assert shown == {mine.pk}

    searched = client.get(url("changelist"), {"q": "req-mine"})
    assert {e.pk for e in searched.context["cl"].result_list} == {mine.pk}
    filtered = client.get(url("changelist"), {"outcome__exact": "denied"})
    assert not filtered.context["cl"].result_list


def test_change_view_is_read_only_and_shows_the_hashes(client, make_member, tenant, events):
    mine, theirs = events
    client.force_login(make_member(tenant, Role.AUDITOR))
    response = client.get(url("change", mine.pk))
    assert response.status_code == 200
    page = response.content.decode()
    assert mine.hash in page and mine.prev_hash in page
    assert 'name="_save"' not in page
    assert client.post(url("change", mine.pk), {"action": "changed"}).status_code == 403
    assert AuditEvent.objects.get(pk=mine.pk).action == "test.mine"


def test_other_tenants_event_is_404(client, make_member, tenant, events):
    _, theirs = events
    client.force_login(make_member(tenant, Role.AUDITOR))
    assert client.get(url("change", theirs.pk)).status_code == 404


def test_nobody_may_add_or_delete(client, make_member, tenant, events):
    mine, _ = events
    client.force_login(make_member(tenant, Role.ADMIN))
    assert client.get(url("add")).status_code == 403
    assert client.get(url("delete", mine.pk)).status_code == 403
    superuser = UserFactory(is_superuser=True)
    client.force_login(superuser)
    assert client.get(url("add")).status_code == 403
    assert client.post(url("delete", mine.pk), {"post": "yes"}).status_code == 403
    request = RequestFactory().get("/")
    request.user = superuser
    for model in (AuditEvent, AuditCheckpoint):
        model_admin = site._registry[model]
        assert not model_admin.has_add_permission(request)
        assert not model_admin.has_change_permission(request, None)
        assert not model_admin.has_delete_permission(request, None)
        assert "delete_selected" not in model_admin.get_actions(request)
    assert AuditEvent.objects.filter(pk=mine.pk).exists()


def test_other_roles_cannot_open_the_log(client, make_member, tenant, events):
    client.force_login(make_member(tenant, Role.ANALYST))
    assert client.get(url("changelist")).status_code == 403


def test_checkpoints_admin_is_scoped(client, make_member, tenant, other_tenant, events):
    audit_checkpoint_create()
    client.force_login(make_member(tenant, Role.AUDITOR))
    response = client.get(url("changelist", model="auditcheckpoint"))
    assert response.status_code == 200
    assert {c.tenant_id for c in response.context["cl"].result_list} == {tenant.pk}
