"""Query parameters: an unknown one is a 400 naming it on every route, and every documented
filter actually filters (generated from the route table and the OpenAPI schema).

A typo such as ``?serach=warfarin`` used to answer 200 with the unfiltered list; and
``?search=`` on /api/v1/knowledge/nodes/ was accepted and ignored. What each operation takes is
what the schema documents (apps.surface.query_params).
"""

from __future__ import annotations

import re
import uuid

import pytest
from django.urls import resolve

from apps.accounts.roles import Role
from apps.jobs.models import Job
from apps.surface.query_params import DeclaredQueryParametersMixin
from knowledge.services.seeds import seed_graph_ensure
from tests.isolation_registry import make_row
from tests.isolation_walker import list_routes, model_of, role_for
from tests.routes import api_routes
from tests.schema_cases import load_schema, query_parameters

pytestmark = pytest.mark.django_db

ROUTES = api_routes()
LISTS = list_routes(ROUTES)
NOT_FILTERS = {"page", "page_size", "ordering", "format"}
FAR_PAST, FAR_FUTURE = "1971-01-01T00:00:00Z", "2999-01-01T00:00:00Z"


def test_every_api_view_checks_its_query_parameters():
    unchecked = sorted(
        {
            r.view_class.__name__
            for r in ROUTES
            if not issubclass(r.view_class, DeclaredQueryParametersMixin)
        }
    )
    assert not unchecked, f"views that would ignore unknown query parameters: {unchecked}"


@pytest.mark.parametrize("route", LISTS, ids=lambda r: r.pattern)
def test_unknown_query_parameter_is_400_naming_it(route, tenant, make_api_client):
    make_row(model_of(route), tenant)
    client = make_api_client(tenant, role_for(route))
    response = client.get(route.url(), {"page_size": 5, "no_such_filter": "x"})
    assert response.status_code == 400, (route.pattern, response.content[:300])
    body = response.json()
    assert set(body["errors"]) == {"no_such_filter"}
    assert "page_size" in body["errors"]["no_such_filter"][0]  # it says what the route takes
    # The documented parameters themselves pass.
    assert client.get(route.url(), {"page_size": 5}).status_code == 200


@pytest.mark.parametrize("route", LISTS, ids=lambda r: r.pattern)
def test_bad_paging_and_ordering_values_are_400_naming_them(route, tenant, make_api_client):
    """DRF read ``?page_size=1.5`` as the default size and dropped an unknown ``?ordering=``
    field (the default order came back); ``?page=abc`` was a 404."""
    make_row(model_of(route), tenant)
    client = make_api_client(tenant, role_for(route))
    for name, value in (
        ("ordering", "-no_such_field"),
        ("page_size", "1.5"),
        ("page_size", "0"),
        ("page", "abc"),
    ):
        response = client.get(route.url(), {name: value})
        assert response.status_code == 400, (route.pattern, name, response.content[:300])
        assert set(response.json()["errors"]) == {name}, (route.pattern, response.json())
    ok = client.get(route.url(), {"page": "1", "page_size": "5", "format": "json"})
    assert ok.status_code == 200, (route.pattern, ok.content[:300])


def test_ordering_names_what_a_list_orders_by(tenant, make_api_client):
    client = make_api_client(tenant, Role.ADMIN)
    for i in range(3):
        Job.objects.create(tenant=tenant, kind=f"k{i}", task_name="t")
    refused = client.get("/api/v1/jobs/", {"ordering": "-create_at"})
    assert "created_at" in refused.json()["errors"]["ordering"][0]
    rows = client.get("/api/v1/jobs/", {"ordering": "created_at"}).json()["results"]
    newest = client.get("/api/v1/jobs/", {"ordering": "-created_at"}).json()["results"]
    assert [r["id"] for r in rows] == [r["id"] for r in reversed(newest)] and len(rows) >= 3
    assert client.get("/api/v1/jobs/", {"page": "last", "page_size": "2"}).status_code == 200


def test_boolean_filters_take_true_or_false_only(tenant, make_api_client):
    """A boolean filter read ``?is_fraud=yes`` as no filter at all: the whole list came back."""
    admin = make_api_client(tenant, Role.ADMIN)
    lists = {r.url(): r for r in LISTS}
    checked = []
    for path, operation in _list_operations(load_schema(admin)):
        route = lists.get(path)
        for name, parameter in query_parameters(operation).items():
            if route is None or parameter.get("schema", {}).get("type") != "boolean":
                continue
            client = make_api_client(tenant, role_for(route))
            response = client.get(path, {name: "yes"})
            assert response.status_code == 400, (path, name, response.content[:300])
            assert response.json()["errors"] == {name: ["Must be true or false."]}
            assert client.get(path, {name: "false"}).status_code == 200
            checked.append(f"{path}?{name}")
    assert len(checked) >= 3, checked


def test_unknown_query_parameter_on_a_post_and_a_plain_view(tenant, make_api_client):
    client = make_api_client(tenant, Role.ADMIN)
    response = client.get("/api/v1/accounts/me/", {"verbose": "1"})
    assert response.status_code == 400 and set(response.json()["errors"]) == {"verbose"}
    response = client.post("/api/v1/knowledge/graphs/?dry_run=1", {"name": "g"}, format="json")
    assert response.status_code == 400 and set(response.json()["errors"]) == {"dry_run"}
    assert client.get("/api/v1/accounts/me/", {"format": "json"}).status_code == 200


def _candidates(parameter: dict) -> list[str]:
    """Values for a filter that the seeded row does not (all) share."""
    spec = parameter.get("schema", {})
    if spec.get("type") == "array":
        spec = spec.get("items", {})
    if "enum" in spec:
        return [str(value) for value in spec["enum"] if value is not None]
    kind, fmt = spec.get("type"), spec.get("format")
    if kind == "boolean":
        return ["true", "false"]
    if fmt == "date-time" or fmt == "date":
        return [FAR_PAST, FAR_FUTURE] if fmt == "date-time" else ["1971-01-01", "2999-01-01"]
    if fmt == "uuid":
        return [str(uuid.uuid4())]
    if kind in ("integer", "number"):
        return ["987654321"]
    return ["zz-no-such-value-zz"]


def _ids(response) -> list:
    return [row.get("id", row.get("key")) for row in response.json()["results"]]


def _list_operations(schema):
    for path, item in sorted(schema["paths"].items()):
        operation = item.get("get")
        if operation and "{" not in path:
            yield path, operation


def test_every_documented_filter_changes_the_result(tenant, make_api_client):
    admin = make_api_client(tenant, Role.ADMIN)
    schema = load_schema(admin)
    lists = {r.url(): r for r in LISTS}
    checked, ignored = 0, []
    for path, operation in _list_operations(schema):
        route = lists.get(path)
        filters = {n: p for n, p in query_parameters(operation).items() if n not in NOT_FILTERS}
        if route is None or not filters:
            continue
        make_row(model_of(route), tenant)
        client = make_api_client(tenant, role_for(route))
        everything = client.get(path, {"page_size": 500})
        assert everything.status_code == 200 and everything.json()["count"] > 0, path
        for name, parameter in sorted(filters.items()):
            checked += 1
            honoured = False
            for value in _candidates(parameter):
                response = client.get(path, {name: value, "page_size": 500})
                errors = response.json().get("errors", {}) if response.status_code == 400 else {}
                if name in errors or (
                    response.status_code == 200 and _ids(response) != _ids(everything)
                ):
                    honoured = True
                    break
            if not honoured:
                ignored.append(f"{path}?{name}")
    print(f"documented filters checked: {checked}")
    assert checked > 20, "too few filters found: the walker is broken"
    assert not ignored, f"documented filters that change nothing: {ignored}"


@pytest.fixture
def medical_graph(tenant):
    return seed_graph_ensure(tenant=tenant, seed="medical")[0]


def _keys(client, **params):
    response = client.get("/api/v1/knowledge/nodes/", {"page_size": 50, **params})
    assert response.status_code == 200, response.content[:300]
    return [row["key"] for row in response.json()["results"]]


def test_node_search_uses_the_knowledge_search(tenant, make_api_client, medical_graph):
    client = make_api_client(tenant, Role.ADMIN)
    everything = _keys(client)
    assert len(everything) == 50
    # A synonym (alias) and a description (a property value) find the drug, best first.
    assert _keys(client, search="Coumadin")[0] == "drug:warfarin"
    assert _keys(client, search="vitamin K antagonist")[0] == "drug:warfarin"
    assert _keys(client, search="HTN")[0] == "condition:I10"
    # Lay words reach a drug through its ATC group and its boxed warning (seed data, issue 18).
    assert _keys(client, search="blood thinner bleeding risk")[0] == "drug:warfarin"
    assert "drug:warfarin" in _keys(client, search="blood thinner")[:3]
    assert _keys(client, search="zzqx-nothing") == []
    # Combined with a documented filter, and within the request's graph only.
    drugs = _keys(client, search="aspirin", type="drug")
    assert drugs and drugs[0] == "drug:aspirin" and all(k.startswith("drug:") for k in drugs)
    schema = load_schema(client)
    documented = query_parameters(schema["paths"]["/api/v1/knowledge/nodes/"]["get"])
    assert "search" in documented


def test_schema_paths_resolve_to_their_views(tenant, make_api_client):
    """The check's table is keyed by view: every documented path must resolve to one."""
    schema = load_schema(make_api_client(tenant, Role.ADMIN))
    for path in schema["paths"]:
        sample = re.sub(r"\{[^}]+\}", "1", path)
        assert getattr(resolve(sample).func, "cls", None) is not None, path
