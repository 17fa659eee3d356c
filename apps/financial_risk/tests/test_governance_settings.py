"""The tenant's governance settings over the API and in the admin (issue 22: "gates ...
configurable per tenant with defaults"): the settings in force with the defaults beside them,
a change by an admin that scoring follows at once and that is audited with its values before
and after, a bad value as a 400 naming the key (nothing written), four eyes switched off only
by the platform's staff, and each tenant's settings its own."""

from __future__ import annotations

import json

import pytest
from django.conf import settings

from apps.accounts.roles import Role
from apps.accounts.tests.factories import admin_signed_in
from apps.audit.models import AuditEvent
from apps.core.public_ids import user_public_id
from apps.financial_risk.models import RiskGovernanceSettings
from apps.financial_risk.services.governance_settings import governance_settings

from .factories import tiny_applicant

pytestmark = pytest.mark.django_db
URL = "/api/v1/risk/governance-settings/"
ADMIN_URL = "/admin/financial_risk/riskgovernancesettings/"


def test_defaults_then_an_admins_change_that_scoring_follows_audited(
    tenant, champion, make_member, signed_in, analyst
):
    validator = signed_in(make_member(tenant, Role.MODEL_VALIDATOR), tenant)
    shown = validator.get(f"{URL}current/")
    assert shown.status_code == 200, shown.content
    # the champion's factory lowered the fairness floor for the tiny data, nothing else
    assert shown.json()["overrides"] == ["disparate_impact_floor"]
    assert shown.json()["values"]["out_of_distribution"] == "reject"
    assert shown.json()["defaults"] == settings.RISK_GOVERNANCE_DEFAULTS
    assert set(shown.json()["help"]) == set(settings.RISK_GOVERNANCE_DEFAULTS)
    nonsense = tiny_applicant(income=-48.0)
    refused = analyst.post("/api/v1/risk/decisions/", {"applicant": nonsense}, format="json")
    assert refused.status_code == 400

    admin = make_member(tenant, Role.ADMIN)
    changed = signed_in(admin, tenant).patch(
        f"{URL}update/",
        {"out_of_distribution": "refer", "feature_tolerance": {"income": 0.3}, "psi_max": 0.2},
        format="json",
    )
    assert changed.status_code == 200, changed.content
    body = changed.json()
    assert body["values"]["out_of_distribution"] == "refer"
    assert body["values"]["feature_tolerance"] == {"income": 0.3}
    assert body["overrides"] == [
        "disparate_impact_floor",
        "feature_tolerance",
        "out_of_distribution",
        "psi_max",
    ]
    referred = analyst.post("/api/v1/risk/decisions/", {"applicant": nonsense}, format="json")
    assert referred.status_code == 201 and referred.json()["outcome"] == "refer"

    event = AuditEvent.objects.get(
        tenant=tenant, action="financial_risk.governance_settings.update"
    )
    assert event.actor_id == user_public_id(admin.pk) and event.outcome == "success"
    assert event.details["changed"]["out_of_distribution"] == {"from": "reject", "to": "refer"}
    assert event.details["changed"]["psi_max"] == {"from": 0.25, "to": 0.2}
    assert event.resource_id == str(RiskGovernanceSettings.objects.get(tenant=tenant).public_id)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"auc_margin": "high"}, "auc_margin"),
        ({"disparate_impact_floor": 1.5}, "disparate_impact_floor"),
        ({"psi_window_days": 2.5}, "psi_window_days"),
        ({"psi_min_decisions": True}, "psi_min_decisions"),
        ({"four_eyes": "no"}, "four_eyes"),
        ({"out_of_distribution": "ignore"}, "out_of_distribution"),
        ({"reason_language": "fr"}, "reason_language"),
        ({"range_tolerance": -0.1}, "range_tolerance"),
        ({"feature_tolerance": {"income": "wide"}}, "feature_tolerance"),
        ({"feature_tolerance": [0.2]}, "feature_tolerance"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_a_bad_value_is_a_400_naming_the_key_and_nothing_is_written(
    tenant, admin_client_for, body, field
):
    response = admin_client_for.patch(f"{URL}update/", body, format="json")
    assert response.status_code == 400, response.content
    assert list(response.json()["errors"]) == [field]
    assert not RiskGovernanceSettings.objects.filter(tenant=tenant).exists()
    assert not AuditEvent.objects.filter(action="financial_risk.governance_settings.update")


def test_only_platform_staff_switch_four_eyes_off(tenant, make_member, signed_in, analyst):
    admin = signed_in(make_member(tenant, Role.ADMIN), tenant)
    refused = admin.patch(f"{URL}update/", {"four_eyes": False}, format="json")
    assert refused.status_code == 403 and "four_eyes" in refused.json()["detail"]
    assert governance_settings(tenant)["four_eyes"] is True
    assert admin.patch(f"{URL}update/", {"four_eyes": True}, format="json").status_code == 200
    assert analyst.patch(f"{URL}update/", {"psi_max": 0.3}, format="json").status_code == 403

    staff = signed_in(make_member(tenant, Role.ADMIN, user__is_superuser=True), tenant)
    lifted = staff.patch(f"{URL}update/", {"four_eyes": False}, format="json")
    assert lifted.status_code == 200, lifted.content
    assert governance_settings(tenant)["four_eyes"] is False


def test_each_tenant_keeps_its_own_settings(tenant, other_tenant, make_api_client):
    make_api_client(tenant).patch(f"{URL}update/", {"auc_margin": 0.0}, format="json")
    theirs = make_api_client(other_tenant).get(f"{URL}current/").json()
    assert theirs["values"]["auc_margin"] == settings.RISK_GOVERNANCE_DEFAULTS["auc_margin"]
    assert theirs["overrides"] == []
    assert governance_settings(tenant)["auc_margin"] == 0.0


# --------------------------------------------------------------------------- admin


def _form_of(row) -> dict:
    """The admin form's fields as the browser posts them (a false checkbox is left out)."""
    values = governance_settings(row.tenant)
    data = {"tenant": str(row.tenant_id)}
    for key, value in values.items():
        if key == "feature_tolerance":
            data[key] = json.dumps(value)
        elif value is True:
            data[key] = "on"
        elif value is not False:
            data[key] = str(value)
    return data


def test_the_admin_page_is_readable_and_saves_through_the_service(client, tenant, make_member):
    row = RiskGovernanceSettings.objects.create(tenant=tenant, values={"psi_max": 0.2})
    admin_user = make_member(tenant, Role.ADMIN)
    admin_signed_in(client, admin_user, tenant)
    page = client.get(f"{ADMIN_URL}{row.pk}/change/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'class="governance-settings"' in html
    assert "<th>psi_max</th><td>0.2</td><td>tenant</td>" in html
    assert "<th>auc_margin</th><td>0.01</td><td>default</td>" in html
    assert '"values"' not in html  # no raw JSON field

    # Four eyes is not the tenant admin's to switch off: the unticked box changes nothing.
    data = _form_of(row)
    del data["four_eyes"]
    saved = client.post(f"{ADMIN_URL}{row.pk}/change/", {**data, "disparate_impact_floor": "0.85"})
    assert saved.status_code == 302, saved.content.decode()[-3000:]
    values = governance_settings(tenant)
    assert values["disparate_impact_floor"] == 0.85 and values["four_eyes"] is True
    event = AuditEvent.objects.get(action="financial_risk.governance_settings.update")
    assert event.details["changed"] == {"disparate_impact_floor": {"from": 0.8, "to": 0.85}}
    assert event.actor_id == user_public_id(admin_user.pk)

    bad = client.post(f"{ADMIN_URL}{row.pk}/change/", {**data, "feature_tolerance": '{"x": -1}'})
    assert bad.status_code == 200 and "x: must be between 0 and 100." in bad.content.decode()
    assert governance_settings(tenant)["feature_tolerance"] == {}
    assert client.post(f"{ADMIN_URL}{row.pk}/delete/").status_code == 403
