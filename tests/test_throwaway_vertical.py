"""A fourth vertical from its declaration alone.

tests/throwaway_vertical/ is a vertical as small as one can be: a model, a tenant-scoped viewset
and a vertical.py. Installed here with override_settings (INSTALLED_APPS plus a URL
configuration that builds /api/v1/ from the declarations, as config/urls.py does), it is
discovered, routed, counted by the console, and walked by the isolation walker and the role
matrix, with no line of the platform or of the cross-app tests naming it.
"""

from __future__ import annotations

import sys

import pytest
from django.apps import apps
from django.conf import settings
from django.db import connection
from django.test import override_settings

from apps.accounts.roles import Role
from apps.core.verticals import installed
from apps.operations import recorder
from tests.access_matrix import vertical_rows
from tests.isolation_registry import make_row
from tests.isolation_walker import (
    check_list_shows_only_own_tenant,
    check_other_tenants_object_is_404,
    detail_routes,
    list_routes,
    unexplained,
)
from tests.routes import api_routes

PACKAGE = "tests.throwaway_vertical"
PREFIX = "api/v1/throwaway/"

# Creating its table inside the test's transaction needs transactional DDL (PostgreSQL).
pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


@pytest.fixture
def throwaway():
    """The vertical installed, its table created (rolled back with the test)."""
    sys.modules.pop(f"{PACKAGE}.urls", None)
    with override_settings(
        INSTALLED_APPS=[*settings.INSTALLED_APPS, PACKAGE], ROOT_URLCONF=f"{PACKAGE}.urls"
    ):
        model = apps.get_model("throwaway", "Widget")
        with connection.schema_editor() as editor:
            editor.create_model(model)
        yield model
    sys.modules.pop(f"{PACKAGE}.urls", None)


def _routes():
    return [r for r in api_routes() if r.pattern.startswith(PREFIX)]


def test_it_is_discovered_only_while_installed(throwaway):
    assert [v.name for v in installed()][-1] == "throwaway"
    assert installed()[-1].package == PACKAGE
    assert recorder.group_of("/api/v1/throwaway/widgets/") == "throw-away"


def test_not_installed_means_not_discovered():
    assert "throwaway" not in {v.name for v in installed()}
    assert recorder.group_of("/api/v1/throwaway/widgets/") == "platform"


def test_the_isolation_walker_covers_it(throwaway, tenant, other_tenant, make_api_client):
    routes = _routes()
    assert routes, "the declared API was not routed"
    assert not unexplained(routes)
    lists, details = list_routes(routes), detail_routes(routes)
    assert lists and details
    for route in lists:
        check_list_shows_only_own_tenant(route, tenant, other_tenant, make_api_client)
    for route in details:
        check_other_tenants_object_is_404(route, tenant, other_tenant, make_api_client)
    # The walker's rows came from the declared factory.
    assert isinstance(make_row(throwaway, tenant), throwaway)


def test_the_role_matrix_reads_its_rows(throwaway, tenant, make_api_client):
    rows = {k: v for k, v in vertical_rows("API_EXPECTED").items() if "/throwaway/" in k[1]}
    assert rows, "the declared role-matrix rows were not read"
    for (method, path), allowed in rows.items():
        for role in sorted(Role.values):
            # A GET carries no body (its data would become an undeclared ``?name=``: a 400).
            data = None if method == "get" else {"name": "w"}
            response = getattr(make_api_client(tenant, role), method)(
                path, data=data, format="json"
            )
            if role in allowed:
                assert response.status_code < 400, (role, method, path, response.content)
            else:
                assert response.status_code == 403, (role, method, path, response.status_code)
