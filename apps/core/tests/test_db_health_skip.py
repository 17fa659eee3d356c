"""Django's per-request database health check (a SELECT 1 round trip) is skipped on a
connection that answered a statement within DATABASE_HEALTH_CHECK_IDLE_SECONDS, and still
runs on one that sat idle longer (apps.core.middleware.RecentDatabaseAnswerMiddleware)."""

from __future__ import annotations

import pytest
from django.db import close_old_connections, connection
from django.http import HttpResponse
from django.test import RequestFactory

from apps.accounts.models import Tenant
from apps.core.middleware import RecentDatabaseAnswerMiddleware

# A transactional test: outside an atomic block, close_old_connections keeps the connection
# open between the simulated requests, as it does between a web server's requests.
pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def serve() -> bool:
    """One request's life as the WSGI handler runs it; whether its first query goes without
    the health check."""
    seen = []

    def view(request):
        seen.append(connection.health_check_done)
        Tenant.objects.count()  # the first query runs the health check when one is due
        return HttpResponse()

    close_old_connections()  # request_started: the next query would check the connection
    RecentDatabaseAnswerMiddleware(view)(RequestFactory().get("/"))
    close_old_connections()  # request_finished
    return seen[0]


def test_a_connection_that_just_answered_skips_the_check_and_an_idle_one_does_not(settings):
    settings.DATABASE_HEALTH_CHECK_IDLE_SECONDS = 1.0
    connection.ensure_connection()
    connection.platform_answered_at = None
    assert serve() is False  # nothing answered yet on this connection: checked
    assert connection.platform_answered_at is not None
    assert serve() is True  # it answered a moment ago: no SELECT 1
    connection.platform_answered_at -= 5  # then sat idle for five seconds
    assert serve() is False


def test_zero_checks_every_request(settings):
    settings.DATABASE_HEALTH_CHECK_IDLE_SECONDS = 0
    connection.ensure_connection()
    serve()
    assert serve() is False
