"""The console's alerts page: which staff member sees and acknowledges which alert follows the
domain table in each tenant (as the API does), another tenant's alert and an alert of a domain
the role does not read are 404, a role that reads but does not write the domain is refused
(403); superusers see every tenant's; the acknowledgement is audited with the person."""

from __future__ import annotations

import re

import pytest

from apps.accounts.roles import Role
from apps.accounts.tests.factories import UserFactory
from apps.audit.models import AuditEvent
from apps.core.public_ids import user_public_id
from apps.notifications.alerts import alert_raise
from apps.notifications.models import Alert

pytestmark = pytest.mark.django_db


def _raise(tenant, domain, key="k"):
    return alert_raise(
        tenant=tenant,
        source=f"test.{domain}",
        severity="critical",
        title=f"{domain} alert of {tenant.slug}",
        dedup_key=key,
        domain=domain,
    )


def _shown(client) -> set[str]:
    page = client.get("/ops/alerts/")
    assert page.status_code == 200
    return set(re.findall(r'data-alert="([0-9a-f-]+)"', page.content.decode()))


def _ack(client, alert) -> int:
    return client.post(f"/ops/alerts/{alert.pk}/acknowledge/").status_code


@pytest.fixture
def alerts(tenant, other_tenant):
    return {
        "risk": _raise(tenant, "financial_risk"),
        "platform": _raise(tenant, "operations"),
        "theirs": _raise(other_tenant, "operations"),
    }


def test_each_role_sees_the_alerts_of_the_domains_it_reads(client, tenant, make_member, alerts):
    risk, platform = str(alerts["risk"].pk), str(alerts["platform"].pk)
    expected = {
        Role.ADMIN: {risk, platform},
        Role.AUDITOR: {risk, platform},
        Role.ANALYST: {risk},
        Role.AGENT: set(),
        Role.CLINICIAN: set(),
    }
    for role, shown in expected.items():
        client.force_login(make_member(tenant, role))
        assert _shown(client) == shown, role


def test_acknowledging_follows_the_domain_table_and_is_audited(
    client, tenant, other_tenant, make_member, alerts
):
    # A role that does not read the domain, or another tenant's admin: 404, nothing changes.
    client.force_login(make_member(tenant, Role.ANALYST))
    assert _ack(client, alerts["platform"]) == 404
    client.force_login(make_member(other_tenant, Role.ADMIN))
    assert _ack(client, alerts["risk"]) == 404
    # An auditor reads the platform's alerts but writes nothing: 403, and no button.
    client.force_login(make_member(tenant, Role.AUDITOR))
    assert "read only" in client.get("/ops/alerts/").content.decode()
    assert _ack(client, alerts["platform"]) == 403
    assert not Alert.objects.filter(acknowledged_at__isnull=False).exists()
    # A GET never acknowledges.
    assert client.get(f"/ops/alerts/{alerts['platform'].pk}/acknowledge/").status_code == 405

    analyst = make_member(tenant, Role.ANALYST)
    client.force_login(analyst)
    assert _ack(client, alerts["risk"]) == 302
    alerts["risk"].refresh_from_db()
    assert alerts["risk"].acknowledged_by == analyst
    event = AuditEvent.objects.get(
        action="notifications.alert.acknowledge", resource_id=str(alerts["risk"].pk)
    )
    assert (event.actor_kind, event.actor_id, event.tenant_id) == (
        "user",
        user_public_id(analyst.pk),
        tenant.pk,
    )
    # Acknowledged twice: a message, not a second acknowledgement.
    assert _ack(client, alerts["risk"]) == 302
    assert (
        AuditEvent.objects.filter(
            action="notifications.alert.acknowledge", outcome="success"
        ).count()
        == 1
    )


def test_superusers_see_every_tenant_and_strangers_are_sent_to_log_in(client, alerts):
    assert client.get("/ops/alerts/").status_code == 302
    assert client.post(f"/ops/alerts/{alerts['risk'].pk}/acknowledge/").status_code == 302
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    assert _shown(client) == {str(a.pk) for a in alerts.values()}
    html = client.get("/ops/alerts/").content.decode()
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", html, re.S)
    assert all('src="/static/' in attrs and not body.strip() for attrs, body in scripts)
    console = client.get("/ops/").content.decode()
    assert 'href="/ops/alerts/" id="ops-alerts-link">Alerts (3 open)</a>' in console
