"""The isolation walker's checks on one API route, shared by tests/test_tenant_isolation.py
(every route of the platform) and tests/test_throwaway_vertical.py (a vertical built from its
declaration alone): tenant A's member never sees, changes or learns of tenant B's rows."""

from __future__ import annotations

import json

from apps.accounts.permissions import roles_for
from apps.accounts.roles import Role
from apps.core.public_ids import public_id_of
from apps.core.verticals import installed
from apps.surface.viewsets import TenantScopedMixin
from tests.isolation_registry import make_row

# API views of the platform that hold no tenant rows of their own; each says why it is safe.
PLATFORM_TENANT_FREE_VIEWS = {
    "WhoAmIView": "describes the caller's own credential",
    "ModelListView": "lists the platform's configured models, which all tenants share",
    "EmbedView": "stores nothing; its result cache is keyed by tenant (models_runtime tests)",
    "ChatView": "stores nothing; its result cache is keyed by tenant (models_runtime tests)",
}


def tenant_free_views() -> dict[str, str]:
    """The platform's explained views and every installed vertical's (its declaration)."""
    explained = dict(PLATFORM_TENANT_FREE_VIEWS)
    for vertical in installed():
        explained.update(vertical.tenant_free_views)
    return explained


def is_scoped(route) -> bool:
    return issubclass(route.view_class, TenantScopedMixin)


def unexplained(routes) -> list[str]:
    """Routes neither tenant-scoped nor explained."""
    explained = tenant_free_views()
    return [
        r.pattern for r in routes if not is_scoped(r) and r.view_class.__name__ not in explained
    ]


def role_for(route, method="GET", action=None) -> str:
    view = route.view_class()
    view.action = action or route.actions.get(method.lower())
    request = type("R", (), {"method": method})()
    roles = roles_for(view, request)
    return Role.ADMIN if Role.ADMIN in roles else sorted(roles)[0]


def model_of(route):
    return route.view_class.queryset.model


def check_list_shows_only_own_tenant(route, tenant, other_tenant, make_api_client) -> None:
    model = model_of(route)
    mine = make_row(model, tenant)
    theirs = make_row(model, other_tenant)
    client = make_api_client(tenant, role_for(route))
    response = client.get(route.url(), {"page_size": 500})
    assert response.status_code == 200, response.content
    ids = {str(row["id"]) for row in response.json()["results"]}
    assert public_id_of(theirs) not in ids
    # A public id is a UUID: it must not appear anywhere in the body.
    assert public_id_of(theirs) not in response.content.decode()
    assert public_id_of(mine) in ids, (
        "the list must show the tenant's own row (or the test is void)"
    )


def check_other_tenants_object_is_404(route, tenant, other_tenant, make_api_client) -> None:
    model = model_of(route)
    theirs = make_row(model, other_tenant)
    before = model._default_manager.filter(pk=theirs.pk).values().first()
    for method, action in route.actions.items():
        client = make_api_client(tenant, role_for(route, method.upper(), action))
        body = "" if method == "get" else json.dumps({})
        response = client.generic(
            method.upper(), route.url(public_id_of(theirs)), body, content_type="application/json"
        )
        assert response.status_code == 404, (method, route.pattern, response.content)
        assert response.json()["status"] == 404
    after = model._default_manager.filter(pk=theirs.pk).values().first()
    assert before == after, "a request for another tenant's object changed it"


def list_routes(routes) -> list:
    return [r for r in routes if is_scoped(r) and not r.is_detail and "list" in r.actions.values()]


def detail_routes(routes) -> list:
    return [r for r in routes if is_scoped(r) and r.is_detail]
