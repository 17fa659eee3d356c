"""Request ids, health checks, OpenAPI docs, and the error body of server errors."""

import pytest

from apps.accounts.roles import Role
from apps.core.context import clean_request_id


def test_request_id_is_echoed_or_generated(client, db):
    given = client.get("/healthz", HTTP_X_REQUEST_ID="abc-123")
    assert given["X-Request-ID"] == "abc-123"
    made = client.get("/healthz")
    assert len(made["X-Request-ID"]) == 32


def test_unsafe_request_ids_are_replaced():
    assert clean_request_id("ok.id:1-2_3") == "ok.id:1-2_3"
    assert clean_request_id("bad\nid") != "bad\nid"
    assert clean_request_id("x" * 500) != "x" * 500


@pytest.mark.django_db
def test_request_id_reaches_error_bodies(client):
    response = client.get("/api/v1/jobs/", HTTP_X_REQUEST_ID="trace-42")
    assert response.json()["request_id"] == "trace-42"


def test_healthz(client):
    assert client.get("/healthz").json() == {"status": "ok"}


@pytest.mark.django_db
def test_readyz_reports_each_check_by_name(admin_client):
    body = admin_client.get("/readyz").json()
    assert body["status"] == "ok"
    assert body["checks"]["database"]["ok"] is True
    assert body["checks"]["broker"]["ok"] is True


@pytest.mark.django_db
def test_readyz_details_only_for_staff_or_the_token(client, settings):
    settings.METRICS_BEARER_TOKEN = "scrape-token"
    assert client.get("/readyz").json() == {"status": "ok"}
    with_token = client.get("/readyz", HTTP_AUTHORIZATION="Bearer scrape-token").json()
    assert with_token["checks"]["database"]["ok"] is True


@pytest.mark.django_db
def test_readyz_fails_with_the_broken_check_named(admin_client, settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    response = admin_client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["checks"]["broker"]["ok"] is False
    assert "Connection" in body["checks"]["broker"]["error"]
    assert body["checks"]["database"]["ok"] is True


@pytest.mark.redis
@pytest.mark.django_db
def test_readyz_pings_real_redis(admin_client, settings):
    import os

    settings.REDIS_URL = os.environ["REDIS_URL"]
    body = admin_client.get("/readyz").json()
    assert body["checks"]["broker"] == {**body["checks"]["broker"], "ok": True, "mode": "redis"}


@pytest.mark.django_db
def test_openapi_schema_and_docs_are_served_offline(client):
    schema = client.get("/api/schema/")
    assert schema.status_code == 200
    assert b"/api/v1/jobs/" in schema.content
    docs = client.get("/api/docs/")
    assert docs.status_code == 200
    html = docs.content.decode()
    assert "swagger-ui" in html
    assert "cdn" not in html.lower() and "unpkg" not in html.lower()
    assert "/static/drf_spectacular_sidecar/" in html


@pytest.mark.django_db
def test_pagination_on_lists(tenant, make_api_client):
    from apps.jobs.models import Job

    for i in range(3):
        Job.objects.create(tenant=tenant, kind=f"k{i}", task_name="t")
    client = make_api_client(tenant, Role.ADMIN)
    page = client.get("/api/v1/jobs/", {"page_size": 2}).json()
    assert page["count"] == 3 and len(page["results"]) == 2 and page["next"]
    filtered = client.get("/api/v1/jobs/", {"kind": "k1"}).json()
    assert [j["kind"] for j in filtered["results"]] == ["k1"]


def test_server_errors_use_the_error_format(rf):
    from apps.core.errors import server_error

    response = server_error(rf.get("/boom"))
    assert response.status_code == 500
    import json

    body = json.loads(response.content)
    assert body["status"] == 500 and body["title"] == "Internal Server Error"
