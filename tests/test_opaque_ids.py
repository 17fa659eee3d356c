"""No public id is a sequential integer (issue 17: the existence oracle).

Walks every registered API route from the URL configuration, as an admin of a tenant with a
row of the route's model: each list, each detail and each of the route's actions, and every
create the route table offers (with the create bodies below). Any identifier in any JSON body
(``id``, ``*_id``, ``*_ids``, and every foreign-key name of the platform's models such as
``graph``, ``user`` or ``account``) that holds an integer, or a list of integers, fails: a
sequential id tells its reader how many rows exist and which ids to try in other tenants.
"""

from __future__ import annotations

import json
import uuid

import pytest
from django.apps import apps

from apps.accounts.roles import Role
from apps.audit.models import AuditEvent
from apps.core.public_ids import public_id_of, user_public_id
from knowledge.models import Graph
from tests.isolation_registry import make_row
from tests.isolation_walker import is_scoped, model_of, role_for
from tests.routes import api_routes

ROUTES = api_routes()
SCOPED = [r for r in ROUTES if is_scoped(r)]


INTEGER_KEYS = {"AutoField", "BigAutoField", "SmallAutoField", "IntegerField", "BigIntegerField"}


def _reference_names() -> set[str]:
    """Names of the foreign keys that point at integer-keyed tables (``graph``, ``user``, …)."""
    names = {"id", "pk"}
    for model in apps.get_models():
        for field in model._meta.get_fields():
            if field.is_relation and (field.many_to_one or field.one_to_one) and field.concrete:
                if field.target_field.get_internal_type() in INTEGER_KEYS:
                    names.add(field.name)
    return names


REFERENCES = _reference_names()


# Identifiers the tenant itself supplies (its own account and device numbers), not ours.
EXTERNAL = {"external_id", "device_id"}


def _is_id_key(key: str) -> bool:
    return key not in EXTERNAL and (key in REFERENCES or key.endswith(("_id", "_ids", "_pk")))


def _is_integer(value) -> bool:
    if isinstance(value, bool):
        return False
    return isinstance(value, int) or (isinstance(value, str) and value.isdigit())


def _is_sequential(value) -> bool:
    """An integer, an integer in a string (``"7"``), or a list holding one."""
    if isinstance(value, list):
        return any(_is_integer(item) for item in value)
    return _is_integer(value)


def sequential_ids(body, path="$") -> list[str]:
    """Every ``path=value`` in ``body`` where an id-like key holds an integer."""
    found = []
    if isinstance(body, dict):
        for key, value in body.items():
            if isinstance(key, str) and _is_id_key(key) and _is_sequential(value):
                found.append(f"{path}.{key}={value!r}")
            found.extend(sequential_ids(value, f"{path}.{key}"))
    elif isinstance(body, list):
        for index, item in enumerate(body):
            found.extend(sequential_ids(item, f"{path}[{index}]"))
    return found


def _content(response) -> bytes:
    if response.streaming:
        return b"".join(response.streaming_content)
    return response.content


def _json(response):
    """The JSON body (a list of the lines of a JSON-lines export), or None for other types."""
    kind = response.get("Content-Type", "")
    if "json" not in kind:
        return None
    if "ndjson" in kind:
        return [json.loads(line) for line in _content(response).splitlines() if line.strip()]
    return json.loads(_content(response) or b"null")


def test_the_scanner_finds_integer_ids():
    body = {
        "results": [
            {"id": 3, "source": 7, "nested": {"user_id": 1, "node_ids": [1, 2]}},
            {"requested_by": "12", "external_id": "42"},
        ]
    }
    assert sequential_ids(body) == [
        "$.results[0].id=3",
        "$.results[0].source=7",
        "$.results[0].nested.user_id=1",
        "$.results[0].nested.node_ids=[1, 2]",
        "$.results[1].requested_by='12'",
    ]
    assert sequential_ids({"id": str(uuid.uuid4()), "count": 3, "version": 2, "k": True}) == []


@pytest.mark.django_db
@pytest.mark.parametrize("route", SCOPED, ids=lambda r: r.pattern)
def test_no_route_answers_a_sequential_id(route, tenant, make_api_client):
    row = make_row(model_of(route), tenant)
    client = make_api_client(tenant, Role.ADMIN)
    url = route.url(public_id_of(row))
    leaks = []
    for method, action in route.actions.items():
        if method == "delete":
            continue
        client = make_api_client(tenant, role_for(route, method.upper(), action))
        if method == "get":
            response = client.get(url)
        else:
            response = client.generic(method.upper(), url, "{}", content_type="application/json")
        assert response.status_code < 500, (method, route.pattern, response.content[:300])
        leaks += [f"{method.upper()} {hit}" for hit in sequential_ids(_json(response))]
    assert not leaks, f"{route.pattern} answers sequential ids: {leaks}"


DETAIL = [r for r in SCOPED if r.is_detail]


@pytest.mark.django_db
@pytest.mark.parametrize("route", DETAIL, ids=lambda r: r.pattern)
def test_an_integer_id_in_a_url_is_404(route, tenant, make_api_client):
    """The integer a row had before its public id, or any integer: 404, never a 500."""
    row = make_row(model_of(route), tenant)
    for method, action in route.actions.items():
        client = make_api_client(tenant, role_for(route, method.upper(), action))
        for pk in (row.pk, 1, 987654321):
            response = client.generic(
                method.upper(), route.url(pk), "{}", content_type="application/json"
            )
            if isinstance(row.pk, int) or pk != row.pk:
                assert response.status_code == 404, (method, route.pattern, pk, response.content)


@pytest.mark.django_db
def test_users_act_under_an_opaque_id(client, make_member, tenant, make_api_client):
    """``auth.User`` keeps Django's sequential key; audit events, their CSV export and
    ``whoami`` name a user by its keyed public id instead."""
    user = make_member(tenant, Role.ADMIN)
    client.force_login(user)
    me = client.get("/api/v1/accounts/me/", HTTP_X_TENANT=tenant.slug).json()
    assert me["actor"]["id"] == user_public_id(user.pk) != str(user.pk)
    created = client.post(
        "/api/v1/knowledge/graphs/",
        {"name": "by-a-user"},
        content_type="application/json",
        HTTP_X_TENANT=tenant.slug,
    )
    assert created.status_code == 201, created.content
    auditor = make_api_client(tenant, Role.AUDITOR)
    events = auditor.get("/api/v1/audit/events/", {"action": "knowledge.graph.create"}).json()
    assert not sequential_ids(events)
    (event,) = events["results"]
    assert (event["actor_kind"], event["actor_id"]) == ("user", user_public_id(user.pk))
    assert event["resource_id"] == created.json()["id"]
    exported = _json(auditor.get("/api/v1/audit/events/export/"))
    assert user_public_id(user.pk) in {line["actor_id"] for line in exported}
    assert not sequential_ids(exported)


@pytest.mark.django_db
def test_admin_writes_name_rows_by_their_public_id(client, make_member, tenant):
    """The admin keeps primary keys in its own URLs, but the events it records in the tenant's
    chain (which the tenant's auditors read) name the row by the id it is stored under."""
    client.force_login(make_member(tenant, Role.ADMIN))
    added = client.post(
        "/admin/knowledge/graph/add/",
        {"tenant": str(tenant.pk), "name": "from-admin", "domain": "general", "schema": "{}"},
    )
    assert added.status_code == 302, added.content[:500]
    graph = Graph.objects.get(tenant=tenant, name="from-admin")
    events = AuditEvent.objects.filter(tenant=tenant, resource_type="knowledge.graph")
    assert set(events.values_list("resource_id", flat=True)) == {str(graph.public_id)}
