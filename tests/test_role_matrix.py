"""Each role against each kind of endpoint.

``EXPECTED`` is the specification, written out by hand (the verticals' rows in the modules
their declarations name); ``test_declared_roles_are_enforced``
checks every other route against the roles its view declares, so new endpoints are covered too.
"""

from __future__ import annotations

import pytest

from apps.accounts.permissions import roles_for
from apps.accounts.roles import Role
from tests.access_matrix import vertical_rows
from tests.routes import api_routes

ALL = set(Role.values)
ADMIN, ANALYST, CLINICIAN, AGENT, AUDITOR = (
    Role.ADMIN,
    Role.ANALYST,
    Role.CLINICIAN,
    Role.AGENT,
    Role.AUDITOR,
)

# (method, path) -> roles that may use it
EXPECTED = {
    ("get", "/api/v1/accounts/me/"): ALL,
    ("get", "/api/v1/accounts/api-keys/"): {ADMIN},
    ("post", "/api/v1/accounts/api-keys/"): {ADMIN},
    ("get", "/api/v1/accounts/members/"): {ADMIN},
    ("get", "/api/v1/accounts/usage/"): {ADMIN, AUDITOR},
    ("get", "/api/v1/audit/events/"): {ADMIN, AUDITOR},
    ("get", "/api/v1/audit/events/export/"): {ADMIN, AUDITOR},
    ("post", "/api/v1/audit/verifications/"): {ADMIN, AUDITOR},
    ("get", "/api/v1/privacy/erasure-requests/"): {ADMIN},
    ("post", "/api/v1/privacy/erasure-requests/"): {ADMIN},
    ("get", "/api/v1/jobs/"): ALL,
    ("get", "/api/v1/knowledge/graphs/"): ALL,
    ("post", "/api/v1/knowledge/graphs/"): {ADMIN, ANALYST, CLINICIAN, AGENT},
    ("get", "/api/v1/knowledge/nodes/"): ALL,
    ("get", "/api/v1/knowledge/edges/"): ALL,
    ("get", "/api/v1/notifications/destinations/"): {ADMIN, AUDITOR},
    ("post", "/api/v1/notifications/destinations/"): {ADMIN},
    ("get", "/api/v1/notifications/deliveries/"): {ADMIN, AUDITOR},
    # Every role lists the alerts of the domains it reads (the domain table filters the rows).
    ("get", "/api/v1/notifications/alerts/"): ALL,
    # Each vertical's rows, from the module its declaration names (role_matrix).
    **vertical_rows("API_EXPECTED"),
}


@pytest.mark.django_db
@pytest.mark.parametrize("role", sorted(ALL))
@pytest.mark.parametrize("endpoint", sorted(EXPECTED), ids=lambda e: f"{e[0]} {e[1]}")
def test_role_matrix(endpoint, role, tenant, make_api_client):
    method, path = endpoint
    client = make_api_client(tenant, role)
    response = getattr(client, method)(path, data={}, format="json")
    if role in EXPECTED[endpoint]:
        assert response.status_code != 403, (role, endpoint, response.content)
        assert response.status_code < 500
    else:
        assert response.status_code == 403, (role, endpoint, response.status_code)
        assert response.json()["title"] == "Forbidden"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "route", [r for r in api_routes() if not r.is_detail], ids=lambda r: r.pattern
)
def test_declared_roles_are_enforced(route, tenant, make_api_client):
    for method in route.methods:
        view = route.view_class()
        view.action = route.actions.get(method.lower())
        allowed = roles_for(view, type("R", (), {"method": method})())
        for role in sorted(ALL):
            response = getattr(make_api_client(tenant, role), method.lower())(
                route.url(), data={}, format="json"
            )
            if role in allowed:
                assert response.status_code not in (401, 403), (method, route.pattern, role)
                assert response.status_code < 500, (method, route.pattern, role)
            else:
                assert response.status_code == 403, (method, route.pattern, role)


@pytest.mark.django_db
def test_session_user_acts_for_one_tenant(client, make_member, tenant, other_tenant):
    """A user in two tenants must say which one; the role is the one held there."""
    user = make_member(tenant, Role.AUDITOR)
    from apps.accounts.services import membership_set

    membership_set(tenant=other_tenant, user=user, role=Role.ADMIN)
    client.force_login(user)
    ambiguous = client.get("/api/v1/accounts/me/")
    assert ambiguous.status_code == 403
    assert "X-Tenant" in ambiguous.json()["detail"]
    here = client.get("/api/v1/accounts/me/", HTTP_X_TENANT="acme").json()
    there = client.get("/api/v1/accounts/me/", HTTP_X_TENANT="globex").json()
    assert (here["tenant"], here["role"]) == ("acme", Role.AUDITOR)
    assert (there["tenant"], there["role"]) == ("globex", Role.ADMIN)
    assert client.get("/api/v1/accounts/me/", HTTP_X_TENANT="nope").status_code == 403


@pytest.mark.django_db
def test_unauthenticated_is_401(client):
    response = client.get("/api/v1/jobs/")
    assert response.status_code == 401
    assert response.json()["status"] == 401
