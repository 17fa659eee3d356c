"""The trust boundary, walked: every admin view and every API route, with every role, in every
tenant state (own tenant, other tenant, a user with a different role in each of two tenants,
a deactivated tenant). What is allowed comes from one table per surface: tests/access_matrix.py
for the admin, the views' declared roles (and tests/test_role_matrix.py's EXPECTED) for the API.
"""

from __future__ import annotations

import uuid

import pytest

from apps.accounts.admin_tenant import ADMIN_TENANT_SESSION_KEY
from apps.accounts.permissions import roles_for
from apps.accounts.roles import Role
from apps.accounts.services import membership_set
from tests.access_matrix import ADMIN_EXPECTED
from tests.isolation_registry import make_row
from tests.routes import admin_actions, admin_url, api_routes, tenant_admins

ROLES = sorted(Role.values)
ADMINS = tenant_admins()
DENIED = (403, 404)


def test_every_admin_has_a_row_in_the_matrix():
    missing = [m._meta.label_lower for m, _ in ADMINS if m._meta.label_lower not in ADMIN_EXPECTED]
    assert not missing, f"admins without a row in tests/access_matrix.py: {missing}"


def _status(client, url) -> int:
    return client.get(url).status_code


def _expect(code: int, allowed: bool, what: str):
    if allowed:
        assert code == 200, f"{what}: expected 200, got {code}"
    else:
        assert code in DENIED, f"{what}: expected 403/404, got {code}"


def _walk_own(client, model, row, expected: dict, role: str):
    label = model._meta.label_lower
    view = role in expected["view"]
    listing = role in expected.get("list", expected["view"])
    _expect(_status(client, admin_url(model, "changelist")), listing, f"{label} list {role}")
    _expect(
        _status(client, admin_url(model, "add")), role in expected["add"], f"{label} add {role}"
    )
    _expect(_status(client, admin_url(model, "change", row.pk)), view, f"{label} change {role}")
    _expect(_status(client, admin_url(model, "history", row.pk)), view, f"{label} history {role}")
    delete = role in expected["delete"]
    _expect(_status(client, admin_url(model, "delete", row.pk)), delete, f"{label} delete {role}")


def _walk_foreign(client, model, row, what: str):
    """Another tenant's row: refused exactly like an id that does not exist (404, or 403 where
    the role may not open this admin at all), and no write goes through."""
    before = model._default_manager.filter(pk=row.pk).values().first()
    missing = uuid.uuid4() if isinstance(row.pk, uuid.UUID) else 987654321
    for view in ("change", "delete", "history"):
        code = _status(client, admin_url(model, view, row.pk))
        assert code in DENIED, (what, view, code)
        assert code == _status(client, admin_url(model, view, missing)), (what, view, "oracle")
    client.post(admin_url(model, "delete", row.pk), {"post": "yes"})
    client.post(admin_url(model, "change", row.pk), {})
    for action in admin_actions(client.model_admin):
        client.post(
            admin_url(model, "changelist"),
            {"action": action, "_selected_action": [str(row.pk)], "post": "yes"},
        )
    after = model._default_manager.filter(pk=row.pk).values().first()
    assert before == after, f"{what}: another tenant's row changed"


@pytest.mark.django_db
@pytest.mark.parametrize("model,model_admin", ADMINS, ids=lambda x: getattr(x, "__name__", ""))
def test_admin_walk(model, model_admin, client, make_member, tenant, other_tenant):
    expected = ADMIN_EXPECTED[model._meta.label_lower]
    mine = make_row(model, tenant)
    theirs = make_row(model, other_tenant)
    client.model_admin = model_admin
    for role in ROLES:
        # Own tenant: exactly the table's verbs.
        client.force_login(make_member(tenant, role))
        _walk_own(client, model, mine, expected, role)
    # Other tenant: nothing, even for its strongest role here.
    client.force_login(make_member(tenant, Role.ADMIN))
    _walk_foreign(client, model, theirs, "admin of acme on globex")

    # Two tenants, two roles: admin of globex, auditor of acme. Acting for acme (the first by
    # name), globex's rows are 404 although the user is its admin there; after switching to
    # globex, acme's rows are refused although the user holds a role there.
    user = make_member(tenant, Role.AUDITOR)
    membership_set(tenant=other_tenant, user=user, role=Role.ADMIN)
    client.force_login(user)
    _walk_own(client, model, mine, expected, Role.AUDITOR)
    _walk_foreign(client, model, theirs, "auditor of acme acting for acme, on globex")
    session = client.session
    session[ADMIN_TENANT_SESSION_KEY] = str(other_tenant.pk)
    session.save()
    _walk_foreign(client, model, mine, "admin of globex acting for globex, on acme")
    _expect(
        _status(client, admin_url(model, "change", theirs.pk)),
        Role.ADMIN in expected["view"],
        "admin of globex acting for globex",
    )


@pytest.mark.django_db
@pytest.mark.parametrize("model,model_admin", ADMINS, ids=lambda x: getattr(x, "__name__", ""))
def test_admin_of_a_deactivated_tenant_reaches_nothing(
    model, model_admin, client, make_member, tenant
):
    row = make_row(model, tenant)
    users = {role: make_member(tenant, role) for role in ROLES}
    tenant.is_active = False
    tenant.save()
    for role, user in users.items():
        client.force_login(user)
        for view, args in [("changelist", ()), ("add", ())] + [
            (v, (row.pk,)) for v in ("change", "delete", "history")
        ]:
            assert _status(client, admin_url(model, view, *args)) in DENIED, (role, view)


def test_tenant_switcher_offers_only_own_active_tenants(
    db, client, make_member, tenant, other_tenant
):
    from apps.accounts.tests.factories import TenantFactory

    user = make_member(tenant, Role.AUDITOR)
    membership_set(tenant=other_tenant, user=user, role=Role.ADMIN)
    stranger = TenantFactory(name="Initech", slug="initech")
    client.force_login(user)
    page = client.get("/admin/")
    assert page.status_code == 200
    assert [t.slug for t in page.context["admin_tenants"]] == ["acme", "globex"]
    assert page.context["admin_tenant"] == tenant
    assert client.post("/admin/tenant/switch/", {"tenant": stranger.slug}).status_code == 404
    assert client.post("/admin/tenant/switch/", {"tenant": "globex"}).status_code == 302
    assert client.get("/admin/").context["admin_tenant"] == other_tenant
    other_tenant.is_active = False
    other_tenant.save()
    # A deactivated tenant drops out of the switcher and the admin falls back to the other.
    assert client.get("/admin/").context["admin_tenant"] == tenant


# ------------------------------------------------------------------------------------ API

ROUTES = api_routes()


def _allowed(route, method: str) -> set[str]:
    view = route.view_class()
    view.action = route.actions.get(method.lower())
    return set(roles_for(view, type("R", (), {"method": method})()))


@pytest.mark.django_db
@pytest.mark.parametrize("route", ROUTES, ids=lambda r: r.pattern)
def test_deactivated_tenant_reaches_no_api_route(
    route, tenant, make_api_client, client, make_member
):
    """Keys of a deactivated tenant are 401 and its members' sessions 403, on every route."""
    api = make_api_client(tenant, Role.ADMIN)
    user = make_member(tenant, Role.ADMIN)
    tenant.is_active = False
    tenant.save()
    client.force_login(user)
    pk = "00000000-0000-0000-0000-000000000000"
    for method in route.methods:
        url = route.url(pk)
        assert api.generic(method, url, "{}", content_type="application/json").status_code == 401
        code = client.generic(method, url, "{}", content_type="application/json").status_code
        assert code in (401, 403), (method, route.pattern, code)


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
def test_session_user_with_two_roles_gets_the_role_of_the_tenant_it_names(
    role, client, make_member, tenant, other_tenant
):
    """Admin of globex and ``role`` of acme: acting for acme, every list route answers as
    ``role`` would; the admin role held elsewhere unlocks nothing."""
    user = make_member(tenant, role)
    membership_set(tenant=other_tenant, user=user, role=Role.ADMIN)
    client.force_login(user)
    for route in ROUTES:
        if route.is_detail or "GET" not in route.methods:
            continue
        code = client.get(route.url(), HTTP_X_TENANT="acme").status_code
        if role in _allowed(route, "GET"):
            assert code not in (401, 403), (route.pattern, role, code)
        else:
            assert code == 403, (route.pattern, role, code)
