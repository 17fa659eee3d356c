"""The per-request quota check on PostgreSQL: one UPDATE that reads the tenant's limit itself
(no cache read before it), so a limit stored behind the services' back applies at once."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from apps.accounts.models import Quota, QuotaMetric, UsageCounter
from apps.accounts.selectors import quota_limits
from apps.accounts.throttling import QuotaExceeded, TenantQuotaThrottle

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

REQUESTS = QuotaMetric.REQUESTS_PER_DAY


def used(tenant) -> float:
    return UsageCounter.objects.get(tenant=tenant, metric=REQUESTS, day=timezone.now().date()).value


def test_a_limit_stored_behind_the_services_back_applies_to_the_next_request(tenant, settings):
    settings.QUOTA_CACHE_SECONDS = 30
    settings.DEFAULT_TENANT_QUOTAS = {REQUESTS: 1000}
    throttle, request = TenantQuotaThrottle(), SimpleNamespace(auth=None, tenant=tenant)
    assert throttle.allow_request(request, None) and throttle.allow_request(request, None)
    assert quota_limits(tenant_id=tenant.pk)[REQUESTS] == 1000  # cached
    Quota.objects.create(tenant=tenant, metric=REQUESTS, limit=2)
    assert quota_limits(tenant_id=tenant.pk)[REQUESTS] == 1000  # the cache has not seen it
    with pytest.raises(QuotaExceeded) as refused:
        throttle.allow_request(request, None)
    assert "2 used of 2" in str(refused.value.detail)
    assert used(tenant) == 2, "a refused request is not counted"


def test_the_platform_default_applies_without_a_row_and_none_is_unlimited(
    tenant, other_tenant, settings
):
    settings.DEFAULT_TENANT_QUOTAS = {REQUESTS: 2}
    throttle = TenantQuotaThrottle()
    request = SimpleNamespace(auth=None, tenant=tenant)
    assert throttle.allow_request(request, None) and throttle.allow_request(request, None)
    with CaptureQueriesContext(connection) as queries:
        with pytest.raises(QuotaExceeded):
            throttle.allow_request(request, None)
    assert queries[0]["sql"].startswith("WITH q AS")  # the one-statement check ran first
    settings.DEFAULT_TENANT_QUOTAS = {REQUESTS: None}
    other = SimpleNamespace(auth=None, tenant=other_tenant)
    for _ in range(4):
        assert throttle.allow_request(other, None)
    assert used(other_tenant) == 4


def test_once_the_counter_exists_a_request_costs_one_statement(tenant):
    throttle, request = TenantQuotaThrottle(), SimpleNamespace(auth=None, tenant=tenant)
    throttle.allow_request(request, None)
    with CaptureQueriesContext(connection) as queries:
        assert throttle.allow_request(request, None)
    assert len(queries) == 1
    assert used(tenant) == 2
