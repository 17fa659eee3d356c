"""Quota limits (cached, refreshed by the service at once), the one-statement request counter,
and the sliding-window rate limit per credential."""

from __future__ import annotations

import uuid

import pytest
import redis
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from apps.accounts.models import Quota, QuotaMetric, UsageCounter
from apps.accounts.selectors import quota_limits
from apps.accounts.services import quota_set, usage_add_within
from apps.accounts.throttling import CredentialRateThrottle, _seconds_until_allowed

pytestmark = pytest.mark.django_db

TOKENS = QuotaMetric.MODEL_TOKENS_PER_DAY
REQUESTS = QuotaMetric.REQUESTS_PER_DAY


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


def test_limits_merge_platform_defaults_and_the_tenants_rows(tenant, settings):
    settings.DEFAULT_TENANT_QUOTAS = {REQUESTS: 1000}
    quota_set(tenant=tenant, metric=TOKENS, limit=50)
    assert quota_limits(tenant_id=tenant.pk) == {REQUESTS: 1000, TOKENS: 50}


def test_limits_are_cached_and_quota_set_refreshes_them_at_once(tenant, settings):
    settings.QUOTA_CACHE_SECONDS = 30
    assert TOKENS not in quota_limits(tenant_id=tenant.pk)
    # A row written behind the service's back is not seen until the cache expires...
    Quota.objects.create(tenant=tenant, metric=TOKENS, limit=7)
    with CaptureQueriesContext(connection) as queries:
        assert TOKENS not in quota_limits(tenant_id=tenant.pk)
    assert len(queries) == 0, "served from the cache"
    # ...while the service drops the cached limits, so the next read sees the change.
    quota_set(tenant=tenant, metric=TOKENS, limit=9)
    assert quota_limits(tenant_id=tenant.pk)[TOKENS] == 9
    quota_set(tenant=tenant, metric=TOKENS, limit=None)
    assert TOKENS not in quota_limits(tenant_id=tenant.pk)


def test_no_cache_when_turned_off(tenant, settings):
    settings.QUOTA_CACHE_SECONDS = 0
    quota_limits(tenant_id=tenant.pk)
    Quota.objects.create(tenant=tenant, metric=TOKENS, limit=7)
    assert quota_limits(tenant_id=tenant.pk)[TOKENS] == 7


def test_unknown_metric_is_refused(tenant):
    with pytest.raises(ValueError, match="unknown quota metric"):
        quota_set(tenant=tenant, metric="bananas", limit=1)


def _used(tenant) -> float:
    return UsageCounter.objects.get(tenant=tenant, metric=REQUESTS, day=timezone.now().date()).value


def test_usage_add_within_counts_up_to_the_limit_and_never_past_it(tenant):
    assert usage_add_within(tenant_id=tenant.pk, metric=REQUESTS, amount=1, limit=2) == (True, None)
    assert usage_add_within(tenant_id=tenant.pk, metric=REQUESTS, amount=1, limit=2) == (True, None)
    assert usage_add_within(tenant_id=tenant.pk, metric=REQUESTS, amount=1, limit=2) == (False, 2)
    assert _used(tenant) == 2, "a refused request is not counted"


def test_usage_add_within_is_one_statement_once_the_counter_exists(tenant):
    usage_add_within(tenant_id=tenant.pk, metric=REQUESTS, amount=1, limit=10)
    with CaptureQueriesContext(connection) as queries:
        usage_add_within(tenant_id=tenant.pk, metric=REQUESTS, amount=1, limit=10)
    assert len(queries) == 1 and queries[0]["sql"].startswith("UPDATE")
    assert _used(tenant) == 2


def test_usage_add_within_without_a_limit_and_with_a_zero_limit(tenant, other_tenant):
    for _ in range(3):
        assert usage_add_within(tenant_id=tenant.pk, metric=REQUESTS, amount=1, limit=None)[0]
    assert _used(tenant) == 3
    assert usage_add_within(tenant_id=other_tenant.pk, metric=REQUESTS, amount=1, limit=0) == (
        False,
        0,
    )


class _FakeTimer:
    def __init__(self, now: float):
        self.now = now

    def __call__(self) -> float:
        return self.now


class _Request:
    def __init__(self, api_key):
        self.auth = api_key
        self.user = None
        self.META = {"REMOTE_ADDR": "127.0.0.1"}


def _throttle(timer):
    throttle = CredentialRateThrottle()
    throttle.timer = timer
    return throttle


@pytest.fixture
def redis_cache(settings):
    """The platform's Redis cache (tests otherwise use locmem), emptied before and after."""
    settings.CACHES = {
        "default": {
            "BACKEND": "apps.core.cache.SharedClientRedisCache",
            "LOCATION": settings.REDIS_URL,
            "KEY_PREFIX": f"test-quotas-{uuid.uuid4().hex[:8]}",
        }
    }
    cache.clear()
    yield cache
    cache.clear()


@pytest.fixture(params=["locmem", pytest.param("redis", marks=pytest.mark.redis)])
def any_cache(request):
    """Both ways of counting: the cache API (locmem) and the one-script path (Redis)."""
    if request.param == "redis":
        request.getfixturevalue("redis_cache")


@pytest.mark.usefixtures("any_cache")
def test_rate_limit_counts_a_sliding_window(tenant, make_api_client):
    api_key = make_api_client(tenant, rate_limit="4/min").api_key
    request = _Request(api_key)
    timer = _FakeTimer(600.0 * 1000 + 30)  # half-way through a minute window

    def allowed() -> bool:
        return _throttle(timer).allow_request(request, None)

    assert [allowed() for _ in range(5)] == [True, True, True, True, False]
    throttle = _throttle(timer)
    assert not throttle.allow_request(request, None)
    assert throttle.wait() == pytest.approx(30.0)  # the next window, where the four weigh less
    # 45 s into the next window a quarter of the previous one still overlaps the last minute,
    # so its 4 requests weigh 1 and three more fit...
    timer.now += 75
    assert [allowed() for _ in range(4)] == [True, True, True, False]
    # ...and a full window later the old ones have left the window.
    timer.now += 120
    assert allowed()


def test_rate_limits_are_per_credential(tenant, make_api_client):
    first = _Request(make_api_client(tenant, rate_limit="1/min").api_key)
    second = _Request(make_api_client(tenant, rate_limit="1/min").api_key)
    timer = _FakeTimer(1_000_000.0)
    assert _throttle(timer).allow_request(first, None)
    assert not _throttle(timer).allow_request(first, None)
    assert _throttle(timer).allow_request(second, None)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_request_counter_does_not_wait_for_the_wal_flush_and_still_stops_at_the_limit(
    tenant,
):
    """Outside a transaction (a request) the counter's UPDATE is one statement whose own
    transaction commits asynchronously; the limit holds as before, and the session keeps
    synchronous commits for everything else."""
    usage_add_within(tenant_id=tenant.pk, metric=REQUESTS, amount=1, limit=3)  # creates the row
    with CaptureQueriesContext(connection) as queries:
        assert usage_add_within(tenant_id=tenant.pk, metric=REQUESTS, amount=1, limit=3) == (
            True,
            None,
        )
    assert len(queries) == 1
    assert "set_config('synchronous_commit', 'off', true)" in queries[0]["sql"]
    assert "UPDATE accounts_usagecounter" in queries[0]["sql"]
    assert usage_add_within(tenant_id=tenant.pk, metric=REQUESTS, amount=1, limit=3)[0]
    assert usage_add_within(tenant_id=tenant.pk, metric=REQUESTS, amount=1, limit=3) == (False, 3)
    assert _used(tenant) == 3
    with connection.cursor() as cursor:
        cursor.execute("SHOW synchronous_commit")
        assert cursor.fetchone()[0] == "on"


@pytest.mark.redis
def test_the_sliding_window_is_one_round_trip_to_redis(
    tenant, make_api_client, monkeypatch, redis_cache
):
    """Checked and counted by one script call (the cache API took four round trips)."""
    sent = []
    real = redis.Redis.execute_command

    def spy(self, *args, **options):
        sent.append(args[0])
        return real(self, *args, **options)

    monkeypatch.setattr(redis.Redis, "execute_command", spy)
    request = _Request(make_api_client(tenant, rate_limit="2/min").api_key)
    timer = _FakeTimer(2_000_000.0)
    results = []
    for _ in range(3):
        sent.clear()
        results.append(_throttle(timer).allow_request(request, None))
        assert sent in (["EVALSHA"], ["EVALSHA", "EVAL"], ["SCRIPT LOAD", "EVALSHA"]), sent
    assert results == [True, True, False]
    # the counters are the cache's own integers, readable through the cache API
    key = _throttle(timer).get_cache_key(request, None)
    assert cache.get(f"{key}:{int(timer.now // 60)}") == 2


@pytest.mark.usefixtures("any_cache")
def test_retry_after_is_when_the_next_request_fits(tenant, make_api_client):
    """Retry-After follows the estimate, not the end of the fixed minute: 3/min spent at 0:59.9
    weighs 2.995 at 1:00.1, so one more fits there (the estimate takes the previous minute's
    requests as spread over it) and the next only once their share has shrunk to two, a third
    of the way into the minute."""
    request = _Request(make_api_client(tenant, rate_limit="3/min").api_key)
    timer = _FakeTimer(60.0 * 50_000 + 59.9)

    def allowed() -> bool:
        return _throttle(timer).allow_request(request, None)

    assert [allowed() for _ in range(4)] == [True, True, True, False]
    timer.now += 0.2  # 0.1 s into the next window
    assert allowed()
    throttle = _throttle(timer)
    assert not throttle.allow_request(request, None)
    assert throttle.wait() == pytest.approx(20.0 - 0.1, abs=0.01)
    timer.now += throttle.wait() - 0.5
    assert not allowed()
    timer.now += 1.0
    assert allowed()


def test_retry_after_when_this_window_is_full_is_the_next_window():
    # 4/min, four sent in this window: in the next one they weigh less than four at once.
    assert _seconds_until_allowed(now=130.0, window=2, duration=60, limit=4, current=4,
                                  previous=0) == pytest.approx(50.0)  # fmt: skip
    # Five counted (a second process counted one meanwhile): a fifth of the way into the next.
    assert _seconds_until_allowed(now=130.0, window=2, duration=60, limit=4, current=5,
                                  previous=0) == pytest.approx(50.0 + 12.0)  # fmt: skip
    assert _seconds_until_allowed(now=130.0, window=2, duration=60, limit=0, current=0,
                                  previous=0) == 60  # fmt: skip
