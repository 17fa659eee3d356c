"""Findings 2 and 4 of the trust-boundary review (issue 17) on a clinical note: moved here from
tests/test_trust_findings.py because they exercise this vertical's admin; the walkers
(tests/test_access_walker.py, tests/test_audit_of_writes.py) generalise them to every admin."""

from __future__ import annotations

import pytest

from apps.accounts.models import Membership
from apps.accounts.roles import Role
from apps.accounts.services import membership_set
from apps.audit.models import AuditEvent
from tests.routes import admin_url


@pytest.mark.django_db
def test_02_a_role_in_one_tenant_unlocks_nothing_in_another(
    client, make_member, tenant, other_tenant
):
    from apps.medical_records.tests.factories import note

    victims_note = note(other_tenant)
    user = make_member(tenant, Role.ADMIN)
    membership_set(tenant=other_tenant, user=user, role=Role.AUDITOR)
    client.force_login(user)
    # Acting for acme: globex's rows do not exist.
    assert client.get(admin_url(victims_note.__class__, "change", victims_note.pk)).status_code in (
        403,
        404,
    )
    client.post(admin_url(victims_note.__class__, "delete", victims_note.pk), {"post": "yes"})
    client.post(
        admin_url(other_tenant.__class__, "change", other_tenant.pk),
        {"name": "taken over", "slug": other_tenant.slug},
    )
    # Acting for globex, where the user is only an auditor: still nothing is writable.
    client.post("/admin/tenant/switch/", {"tenant": "globex"})
    client.post(admin_url(victims_note.__class__, "delete", victims_note.pk), {"post": "yes"})
    client.post(
        admin_url(other_tenant.__class__, "change", other_tenant.pk),
        {"name": "taken over", "slug": other_tenant.slug},
    )
    other_tenant.refresh_from_db()
    assert other_tenant.name == "Globex Bank"
    assert victims_note.__class__.objects.filter(pk=victims_note.pk).exists()


@pytest.mark.django_db
def test_04_privileged_admin_changes_are_audited(client, make_member, tenant):
    from apps.accounts.services import api_key_create
    from apps.medical_records.tests.factories import note

    client.force_login(make_member(tenant, Role.ADMIN))
    key = api_key_create(tenant=tenant, name="crm", role=Role.AGENT).api_key
    client.post(
        admin_url(key.__class__, "changelist"),
        {"action": "revoke_selected", "_selected_action": [str(key.pk)]},
    )
    member = Membership.objects.get(user=make_member(tenant, Role.AGENT))
    client.post(admin_url(Membership, "change", member.pk), {"role": Role.ADMIN})
    clinical = note(tenant)
    client.post(admin_url(clinical.__class__, "delete", clinical.pk), {"post": "yes"})
    actions = set(AuditEvent.objects.filter(tenant=tenant).values_list("action", flat=True))
    assert "accounts.api_key.revoke" in actions
    assert "accounts.membership.admin_change" in actions
    assert "medical_records.note.admin_delete" in actions
    event = AuditEvent.objects.get(action="accounts.membership.admin_change")
    assert event.details["fields"] == ["Role"] and event.actor_kind == "user"
