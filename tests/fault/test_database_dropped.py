"""The database connection of a request in flight is terminated (``pg_terminate_backend``):
the client gets a clean 503 in the platform's error format, and the next request succeeds."""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request

import psycopg
import pytest
from django.db import connection

from apps.accounts.models import UsageCounter
from apps.accounts.roles import Role
from tests.fault.support import wait_until

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _get(url: str, token: str) -> tuple[int, dict, dict]:
    request = urllib.request.Request(url, headers={"Authorization": f"Api-Key {token}"})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, dict(response.headers), json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), json.loads(error.read())


def _dsn() -> str:
    db = connection.settings_dict
    return f"host={db['HOST'] or '127.0.0.1'} port={db['PORT'] or 5432} user={db['USER']} dbname={db['NAME']}"  # noqa: E501


def test_terminated_connection_is_a_503_and_the_next_request_succeeds(
    live_server, tenant, make_api_client
):
    token = make_api_client(tenant, Role.ADMIN).token
    url = f"{live_server.url}/api/v1/accounts/me/"
    assert _get(url, token)[0] == 200  # the server's connection is open and the counter exists

    answer = {}
    with psycopg.connect(_dsn(), autocommit=False) as locker:
        # Hold the tenant's request counter so that the next request waits inside PostgreSQL,
        # where the test can find its backend and terminate it mid-request.
        counter = UsageCounter.objects.get(tenant=tenant, metric="requests_per_day")
        locker.execute("SELECT 1 FROM accounts_usagecounter WHERE id = %s FOR UPDATE", [counter.pk])
        request = threading.Thread(target=lambda: answer.update(r=_get(url, token)), daemon=True)
        request.start()
        with psycopg.connect(_dsn(), autocommit=True) as admin:

            def waiting_backend():
                row = admin.execute(
                    "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
                    " AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
                ).fetchone()
                return row and row[0]

            pid = wait_until(waiting_backend, what="the request to wait on the lock")
            assert admin.execute("SELECT pg_terminate_backend(%s)", [pid]).fetchone()[0]
        request.join(timeout=60)
        locker.rollback()

    status, headers, body = answer["r"]
    assert status == 503, body
    assert headers["Content-Type"] == "application/problem+json"
    assert headers.get("Retry-After") == "1"
    assert body["type"].endswith("/database_unavailable")
    assert body["status"] == 503 and body["request_id"] and "retry" in body["detail"]

    status, _, body = _get(url, token)
    assert status == 200, body
    assert "acme" in json.dumps(body)  # the same answer as before the fault
