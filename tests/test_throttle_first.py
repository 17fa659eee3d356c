"""Throttles run before role denials (issue 17, "Denied requests"): a role flooding a view it may
not use gets 429 once over its budget, not an endless stream of 403s, and the refusals still
cost at most two audit rows per source and minute. Every API view takes this order from one
place, ``apps.surface.viewsets.ThrottleFirstMixin``; the route walk below fails for a view that
does not."""

from __future__ import annotations

import pytest

from apps.accounts.models import QuotaMetric
from apps.accounts.roles import Role
from apps.accounts.selectors import usage_today
from apps.audit.models import AuditEvent
from apps.surface.viewsets import ThrottleFirstMixin
from tests.routes import api_routes


def test_every_api_view_checks_throttles_before_permissions():
    offenders = sorted(
        {
            f"{route.view_class.__module__}.{route.view_class.__name__}"
            for route in api_routes()
            if route.view_class.initial is not ThrottleFirstMixin.initial
        }
    )
    assert not offenders, f"derive from ThrottleFirstMixin (or PlatformAPIView): {offenders}"


@pytest.mark.django_db
@pytest.mark.usefixtures("rate_limit_clock_stopped")
def test_a_flood_from_a_role_without_access_gets_429_once_over_budget(tenant, make_api_client):
    auditor = make_api_client(tenant, Role.AUDITOR, rate_limit="5/min")
    first_event = AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    codes = [auditor.get("/api/v1/medical/notes/").status_code for _ in range(40)]
    assert codes[:5] == [403] * 5
    assert set(codes[5:]) == {429}, codes
    refused = auditor.get("/api/v1/medical/notes/")
    assert refused.json()["type"].endswith("/throttled") and refused["Retry-After"]
    per_minute: dict[int, int] = {}
    for created in AuditEvent.objects.filter(pk__gt=first_event).values_list(
        "created_at", flat=True
    ):
        minute = int(created.timestamp() // 60)
        per_minute[minute] = per_minute.get(minute, 0) + 1
    assert per_minute and max(per_minute.values()) <= 2, per_minute


@pytest.mark.django_db
def test_the_tenant_quota_still_counts_before_the_permission_check(tenant, make_api_client):
    """The quota throttle reads the credential's tenant (request.tenant is set later, by the
    permission check): a refused flood counts against the tenant's daily requests too."""
    auditor = make_api_client(tenant, Role.AUDITOR)
    for _ in range(3):
        assert auditor.get("/api/v1/medical/notes/").status_code == 403
    assert usage_today(tenant=tenant, metric=QuotaMetric.REQUESTS_PER_DAY) == 3
