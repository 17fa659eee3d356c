from datetime import timedelta

import pytest
from django.utils import timezone

from apps.accounts.key_hashing import hash_api_key
from apps.accounts.models import ApiKey, Quota
from apps.accounts.roles import Role
from apps.accounts.services import api_key_create

pytestmark = pytest.mark.django_db


def test_secret_is_shown_once_and_only_a_keyed_hash_is_stored(tenant, make_api_client):
    admin = make_api_client(tenant, Role.ADMIN)
    created = admin.post("/api/v1/accounts/api-keys/", {"name": "crm", "role": "agent"}, "json")
    assert created.status_code == 201, created.content
    token = created.json()["token"]
    key_id = created.json()["id"]

    # Never again: neither in the detail nor in the list.
    assert "token" not in admin.get(f"/api/v1/accounts/api-keys/{key_id}/").json()
    assert token not in admin.get("/api/v1/accounts/api-keys/").content.decode()

    row = ApiKey.objects.get(pk=key_id)
    secret = token.split("_", 2)[2]
    stored = " ".join(str(v) for v in ApiKey.objects.filter(pk=key_id).values().first().values())
    assert secret not in stored
    assert row.hashed_secret == hash_api_key(token)
    import hashlib

    assert row.hashed_secret != hashlib.sha256(token.encode()).hexdigest(), "must be keyed"

    agent = make_api_client(tenant, Role.AGENT)
    agent.credentials(HTTP_AUTHORIZATION=f"Api-Key {token}")
    me = agent.get("/api/v1/accounts/me/")
    assert me.status_code == 200 and me.json()["role"] == "agent"


def test_key_hash_depends_on_server_key(settings):
    token = "vap_0123456789ab_" + "x" * 43
    first = hash_api_key(token)
    settings.API_KEY_HASH_KEY = "another-server-key"
    assert hash_api_key(token) != first


def test_expired_key_is_refused(tenant, make_api_client):
    client = make_api_client(tenant, Role.ADMIN)
    ApiKey.objects.filter(pk=client.api_key.pk).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    response = client.get("/api/v1/accounts/me/")
    assert response.status_code == 401
    assert "expired" in response.json()["detail"]


def test_revoked_key_is_refused_from_then_on(tenant, make_api_client):
    admin = make_api_client(tenant, Role.ADMIN)
    victim = make_api_client(tenant, Role.ANALYST)
    assert victim.get("/api/v1/accounts/me/").status_code == 200
    revoked = admin.post(f"/api/v1/accounts/api-keys/{victim.api_key.pk}/revoke/")
    assert revoked.status_code == 200 and revoked.json()["revoked_at"]
    response = victim.get("/api/v1/accounts/me/")
    assert response.status_code == 401
    assert "revoked" in response.json()["detail"]


def test_malformed_and_unknown_keys_are_401(client, tenant):
    for header in ("Api-Key nonsense", "Api-Key vap_abc_" + "y" * 40):
        response = client.get("/api/v1/accounts/me/", HTTP_AUTHORIZATION=header)
        assert response.status_code == 401
        assert response.json()["detail"] == "Invalid API key."


@pytest.mark.usefixtures("rate_limit_clock_stopped")
def test_throttling_is_per_key(tenant, make_api_client):
    limited = make_api_client(tenant, Role.ADMIN, rate_limit="3/min")
    other = make_api_client(tenant, Role.ADMIN)
    codes = [limited.get("/api/v1/accounts/me/").status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    throttled = limited.get("/api/v1/accounts/me/")
    assert throttled.status_code == 429
    assert "Retry-After" in throttled
    assert throttled.json()["title"] == "Too Many Requests"
    assert other.get("/api/v1/accounts/me/").status_code == 200, "another key is not throttled"


def test_quota_exceeded_names_the_quota(tenant, other_tenant, make_api_client):
    Quota.objects.create(tenant=tenant, metric="requests_per_day", limit=2)
    client = make_api_client(tenant, Role.ADMIN)
    assert client.get("/api/v1/accounts/me/").status_code == 200
    assert client.get("/api/v1/accounts/me/").status_code == 200
    over = client.get("/api/v1/accounts/me/")
    assert over.status_code == 429
    assert over.json()["quota"] == "requests_per_day"
    assert "requests_per_day" in over.json()["detail"]
    # Another tenant's quota is its own.
    assert make_api_client(other_tenant, Role.ADMIN).get("/api/v1/accounts/me/").status_code == 200


def test_usage_is_metered_per_tenant(tenant, make_api_client):
    client = make_api_client(tenant, Role.ADMIN)
    for _ in range(3):
        client.get("/api/v1/accounts/me/")
    me = client.get("/api/v1/accounts/me/").json()
    # The request that asks is counted before it is answered.
    assert me["quotas"]["requests_per_day"]["used_today"] == 4


def test_create_validates_role_and_expiry(tenant, make_api_client):
    admin = make_api_client(tenant, Role.ADMIN)
    bad = admin.post(
        "/api/v1/accounts/api-keys/",
        {"name": "x", "role": "wizard", "expires_at": "2000-01-01T00:00:00Z"},
        "json",
    )
    assert bad.status_code == 400
    assert set(bad.json()["errors"]) == {"role", "expires_at"}


def test_api_key_service_rejects_unknown_role(tenant):
    with pytest.raises(ValueError):
        api_key_create(tenant=tenant, name="x", role="wizard")


def test_key_lookup_returns_the_same_key_and_tenant_as_the_orm(tenant):
    """The per-request lookup is hand-written SQL; it must build the very instances the ORM
    would (types converted, tenant attached), on PostgreSQL and SQLite alike."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from apps.accounts.models import ApiKey
    from apps.accounts.selectors import api_key_for_token
    from apps.accounts.services import api_key_create

    created = api_key_create(tenant=tenant, name="lookup", role=Role.ANALYST, rate_limit="5/min")
    with CaptureQueriesContext(connection) as queries:
        found = api_key_for_token(created.token)
    assert len(queries) == 1
    expected = ApiKey.objects.select_related("tenant").get(pk=created.api_key.pk)
    for field in ApiKey._meta.concrete_fields:
        assert getattr(found, field.attname) == getattr(expected, field.attname), field.name
    for field in type(tenant)._meta.concrete_fields:
        assert getattr(found.tenant, field.attname) == getattr(tenant, field.attname), field.name
    assert found._state.adding is False
    assert api_key_for_token(created.token[:-1] + "x") is None
    assert api_key_for_token("vap_nosuchprefix_secret") is None
