"""Bad input gets a 4xx in the one error format, never a 500, and changes nothing."""

from __future__ import annotations

import pytest

from apps.accounts.models import ApiKey
from apps.accounts.roles import Role

pytestmark = pytest.mark.django_db

URL = "/api/v1/accounts/api-keys/"


def _assert_problem(response, status):
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/problem+json")
    body = response.json()
    assert set(body) >= {"type", "title", "status", "detail", "errors", "request_id"}
    assert body["status"] == status
    return body


@pytest.fixture
def admin(tenant, make_api_client):
    return make_api_client(tenant, Role.ADMIN)


def test_malformed_json(admin):
    body = _assert_problem(admin.generic("POST", URL, '{"name": ', "application/json"), 400)
    assert "JSON" in body["detail"]


def test_wrong_types(admin):
    body = _assert_problem(admin.post(URL, {"name": ["a"], "role": 7}, format="json"), 400)
    assert set(body["errors"]) == {"name", "role"}


def test_missing_fields(admin):
    body = _assert_problem(admin.post(URL, {}, format="json"), 400)
    assert set(body["errors"]) == {"name", "role"}
    assert "name" in body["detail"]


def test_unknown_fields(admin):
    body = _assert_problem(
        admin.post(URL, {"name": "k", "role": "agent", "colour": "red"}, format="json"), 400
    )
    assert body["errors"] == {"colour": ["Unknown field."]}


def test_body_over_the_size_limit(admin, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    big = '{"name": "' + "x" * 2000 + '", "role": "agent"}'
    body = _assert_problem(admin.generic("POST", URL, big, "application/json"), 413)
    assert "1000" in body["detail"]


def test_wrong_content_type(admin):
    body = _assert_problem(admin.generic("POST", URL, "name=k&role=agent", "text/plain"), 415)
    assert "text/plain" in body["detail"]


def test_non_object_json_body(admin):
    _assert_problem(admin.generic("POST", URL, "[1, 2, 3]", "application/json"), 400)


def test_bad_input_stores_nothing(admin, tenant):
    before = ApiKey.objects.filter(tenant=tenant).count()
    admin.post(URL, {"name": "k", "role": "agent", "colour": "red"}, format="json")
    admin.generic("POST", URL, '{"name": ', "application/json")
    assert ApiKey.objects.filter(tenant=tenant).count() == before


def test_unknown_route_and_method(admin, client):
    _assert_problem(client.get("/api/v1/does-not-exist/"), 404)
    _assert_problem(client.get("/nowhere"), 404)
    body = _assert_problem(admin.delete("/api/v1/accounts/me/"), 405)
    assert "DELETE" in body["detail"]
    # Django's own 405 (a plain Django view, not DRF)
    _assert_problem(client.post("/healthz"), 405)


def test_bad_uuid_in_path_is_404(admin):
    _assert_problem(admin.get("/api/v1/jobs/not-a-uuid/"), 404)


def test_csrf_failure_in_error_format(tenant, make_member):
    from django.test import Client

    csrf_client = Client(enforce_csrf_checks=True)
    csrf_client.force_login(make_member(tenant, Role.ADMIN))
    body = _assert_problem(csrf_client.post(URL, {"name": "k", "role": "agent"}), 403)
    assert "CSRF" in body["detail"]
