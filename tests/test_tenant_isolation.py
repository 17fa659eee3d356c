"""A member of tenant A never sees tenant B's rows: every API route and every admin page.

Routes and admins are discovered from the URL configuration and the admin registry, so
endpoints added later are covered automatically (a model without an isolation factory fails).
"""

from __future__ import annotations

import json

import pytest
from django.contrib import admin
from django.urls import reverse

from apps.accounts.permissions import roles_for
from apps.accounts.roles import Role
from apps.surface.admin_base import TenantScopedAdmin
from apps.surface.viewsets import TenantScopedMixin
from tests.isolation_registry import make_row
from tests.routes import api_routes

# API views that hold no tenant rows of their own; each says why it is safe.
TENANT_FREE_VIEWS = {
    "WhoAmIView": "describes the caller's own credential",
    "ModelListView": "lists the platform's configured models, which all tenants share",
    "EmbedView": "stores nothing; its result cache is keyed by tenant (models_runtime tests)",
    "ChatView": "stores nothing; its result cache is keyed by tenant (models_runtime tests)",
    "TransactionScoreView": "POST only: scores and stores for the caller's own tenant "
    "(request.tenant); the decisions are read through the tenant-scoped FraudDecisionViewSet",
    "FraudModelTrainView": "POST only: starts a training job for the caller's own tenant; the "
    "versions are read through the tenant-scoped /models/",
}

ROUTES = api_routes()
SCOPED = [r for r in ROUTES if issubclass(r.view_class, TenantScopedMixin)]


def _role_for(route, method="GET", action=None) -> str:
    view = route.view_class()
    view.action = action or route.actions.get(method.lower())
    request = type("R", (), {"method": method})()
    roles = roles_for(view, request)
    return Role.ADMIN if Role.ADMIN in roles else sorted(roles)[0]


def _model_of(route):
    return route.view_class.queryset.model


def test_every_api_route_is_tenant_scoped_or_explained():
    unexplained = [
        r.pattern
        for r in ROUTES
        if not issubclass(r.view_class, TenantScopedMixin)
        and r.view_class.__name__ not in TENANT_FREE_VIEWS
    ]
    assert not unexplained, f"routes neither tenant-scoped nor explained: {unexplained}"
    assert SCOPED, "no tenant-scoped routes found: the walker is broken"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "route",
    [r for r in SCOPED if not r.is_detail and "list" in r.actions.values()],
    ids=lambda r: r.pattern,
)
def test_lists_show_only_own_tenant(route, tenant, other_tenant, make_api_client):
    model = _model_of(route)
    mine = make_row(model, tenant)
    theirs = make_row(model, other_tenant)
    client = make_api_client(tenant, _role_for(route))
    response = client.get(route.url(), {"page_size": 500})
    assert response.status_code == 200, response.content
    ids = {str(row["id"]) for row in response.json()["results"]}
    assert str(theirs.pk) not in ids
    if not isinstance(theirs.pk, int):  # a UUID must not appear anywhere in the body
        assert str(theirs.pk) not in response.content.decode()
    assert str(mine.pk) in ids, "the list must show the tenant's own row (or the test is void)"


@pytest.mark.django_db
@pytest.mark.parametrize("route", [r for r in SCOPED if r.is_detail], ids=lambda r: r.pattern)
def test_other_tenants_objects_are_404(route, tenant, other_tenant, make_api_client):
    model = _model_of(route)
    theirs = make_row(model, other_tenant)
    before = model._default_manager.filter(pk=theirs.pk).values().first()
    for method, action in route.actions.items():
        client = make_api_client(tenant, _role_for(route, method.upper(), action))
        body = "" if method == "get" else json.dumps({})
        response = client.generic(
            method.upper(), route.url(theirs.pk), body, content_type="application/json"
        )
        assert response.status_code == 404, (method, route.pattern, response.content)
        assert response.json()["status"] == 404
    after = model._default_manager.filter(pk=theirs.pk).values().first()
    assert before == after, "a request for another tenant's object changed it"


# ------------------------------------------------------------------------------------ admin

ADMINS = sorted(admin.site._registry.items(), key=lambda item: item[0]._meta.label)
SCOPED_ADMINS = [(m, a) for m, a in ADMINS if isinstance(a, TenantScopedAdmin)]
OTHER_ADMINS = [(m, a) for m, a in ADMINS if not isinstance(a, TenantScopedAdmin)]


def _admin_url(model, view, *args):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def _staff_client(client, make_member, tenant, model_admin):
    role = (
        Role.ADMIN
        if Role.ADMIN in model_admin.allowed_roles
        else sorted(model_admin.allowed_roles)[0]
    )
    user = make_member(tenant, role)
    client.force_login(user)
    return client


@pytest.mark.django_db
@pytest.mark.parametrize("model,model_admin", SCOPED_ADMINS, ids=lambda x: str(x))
def test_admin_changelist_and_change_view_are_scoped(
    model, model_admin, client, make_member, tenant, other_tenant
):
    mine = make_row(model, tenant)
    theirs = make_row(model, other_tenant)
    _staff_client(client, make_member, tenant, model_admin)

    response = client.get(_admin_url(model, "changelist"))
    assert response.status_code == 200
    shown = {obj.pk for obj in response.context["cl"].result_list}
    assert mine.pk in shown
    assert theirs.pk not in shown

    assert client.get(_admin_url(model, "change", mine.pk)).status_code == 200
    assert client.get(_admin_url(model, "change", theirs.pk)).status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize("model,model_admin", OTHER_ADMINS, ids=lambda x: str(x))
def test_tenant_staff_cannot_open_platform_wide_admins(
    model, model_admin, client, make_member, tenant
):
    client.force_login(make_member(tenant, Role.ADMIN))
    assert client.get(_admin_url(model, "changelist")).status_code == 403
