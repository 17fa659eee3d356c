"""The privileged account writes the API makes are audited by accounts' own services."""

from apps.accounts.models import Membership
from apps.accounts.roles import Role
from apps.accounts.services import api_key_issue, membership_delete, membership_role_change
from apps.audit.selectors import audit_events_of


def actions(tenant) -> list[tuple[str, str, str]]:
    return [
        (event.action, event.resource_type, event.resource_id)
        for event in audit_events_of(tenant=tenant).order_by("seq")
    ]


def test_issuing_a_key_records_it_in_the_tenants_chain(tenant):
    created = api_key_issue(tenant=tenant, name="ci", role=Role.ANALYST)
    assert created.token.startswith("vap_")
    assert ("accounts.api_key.create", "api_key", str(created.api_key.pk)) in actions(tenant)


def test_role_changes_and_removals_are_recorded(tenant, make_member):
    membership = Membership.objects.get(user=make_member(tenant, Role.ANALYST), tenant=tenant)
    pk = membership.pk  # delete() clears it
    public_id = str(membership.public_id)  # what the tenant's chain names it by
    changed = membership_role_change(tenant=tenant, membership=membership, role=Role.AUDITOR)
    assert changed.role == Role.AUDITOR
    membership_delete(tenant=tenant, membership=membership)
    assert not Membership.objects.filter(pk=pk).exists()
    recorded = actions(tenant)
    assert ("accounts.membership.set", "membership", public_id) in recorded
    assert ("accounts.membership.delete", "membership", public_id) in recorded
