"""A member of tenant A never sees tenant B's rows: every API route and every admin page.

Routes and admins are discovered from the URL configuration and the admin registry, so
endpoints added later are covered automatically (a model without an isolation factory fails).
"""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.urls import reverse

from apps.accounts.roles import Role
from apps.surface.admin_base import TenantScopedAdmin
from tests.isolation_registry import make_row
from tests.isolation_walker import (
    check_list_shows_only_own_tenant,
    check_other_tenants_object_is_404,
    detail_routes,
    list_routes,
    unexplained,
)
from tests.routes import api_routes

ROUTES = api_routes()


def test_every_api_route_is_tenant_scoped_or_explained():
    missing = unexplained(ROUTES)
    assert not missing, f"routes neither tenant-scoped nor explained: {missing}"
    assert list_routes(ROUTES), "no tenant-scoped routes found: the walker is broken"


@pytest.mark.django_db
@pytest.mark.parametrize("route", list_routes(ROUTES), ids=lambda r: r.pattern)
def test_lists_show_only_own_tenant(route, tenant, other_tenant, make_api_client):
    check_list_shows_only_own_tenant(route, tenant, other_tenant, make_api_client)


@pytest.mark.django_db
@pytest.mark.parametrize("route", detail_routes(ROUTES), ids=lambda r: r.pattern)
def test_other_tenants_objects_are_404(route, tenant, other_tenant, make_api_client):
    check_other_tenants_object_is_404(route, tenant, other_tenant, make_api_client)


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
