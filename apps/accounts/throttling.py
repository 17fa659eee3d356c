"""Per-credential rate limits and per-tenant daily quotas (which also meter requests)."""

from __future__ import annotations

from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
from django.db import connection
from django.utils.connection import ConnectionProxy
from rest_framework import status
from rest_framework.exceptions import APIException
from rest_framework.throttling import BaseThrottle, SimpleRateThrottle

from .models import ApiKey, Membership, QuotaMetric
from .selectors import quota_limit_stored, quota_limits
from .services import usage_add_within, usage_add_within_own_limit


class QuotaExceeded(APIException):
    """429 that names the quota, its limit and when it resets."""

    status_code = status.HTTP_429_TOO_MANY_REQUESTS
    default_code = "quota_exceeded"

    def __init__(self, metric: str, limit: float, used: float):
        self.quota = metric
        super().__init__(
            f"Quota '{metric}' exceeded: {used:g} used of {limit:g} today (UTC); "
            "it resets at midnight UTC."
        )


# The sliding-window check and count in one round trip to Redis (four with the cache API:
# MGET, SET NX, EXISTS and INCRBY): KEYS = this window's and the previous window's counters,
# ARGV = the previous window's overlap, the limit, the counters' lifetime. {1} = allowed and
# counted; {0, current, previous} = refused (not counted), with the two counts the caller needs
# for Retry-After. The counters stay plain integers under the cache's own keys, so the cache API
# reads the same values.
_WINDOW_SCRIPT = """
local counts = redis.call('MGET', KEYS[1], KEYS[2])
local current = tonumber(counts[1]) or 0
local previous = tonumber(counts[2]) or 0
if previous * tonumber(ARGV[1]) + current >= tonumber(ARGV[2]) then
  return {0, current, previous}
end
if redis.call('INCR', KEYS[1]) == 1 then redis.call('EXPIRE', KEYS[1], ARGV[3]) end
return {1}
"""
_scripts: dict[int, object] = {}


def _seconds_until_allowed(now, window, duration, limit, current, previous) -> float:
    """When the estimate (the previous window's count weighted by its overlap, plus this
    window's) first drops below the limit, if nobody else sends meanwhile."""
    if limit <= 0:
        return duration
    if current >= limit:
        # Not before the next window, where this window's count is the previous one and must
        # weigh less than the limit.
        return (window + 1) * duration + duration * (1 - limit / current) - now
    # This window has room; the previous window's share must shrink to what is left.
    return window * duration + duration * (1 - (limit - current) / previous) - now


def _count_in_redis(cache, current, previous, overlap, limit, ttl) -> list[int] | None:
    """The window script's answer on the cache's Redis; None where the cache is not Redis."""
    if isinstance(cache, ConnectionProxy):  # DRF's default, django.core.cache.cache
        cache = caches[cache._alias]
    if not isinstance(cache, RedisCache):
        return None
    client = cache._cache.get_client(write=True)
    script = _scripts.get(id(client))
    if script is None:
        script = _scripts.setdefault(id(client), client.register_script(_WINDOW_SCRIPT))
    keys = [cache.make_and_validate_key(current), cache.make_and_validate_key(previous)]
    answer = script(keys=keys, args=[repr(float(overlap)), limit, int(ttl)], client=client)
    return [int(value) for value in answer]


class CredentialRateThrottle(SimpleRateThrottle):
    """A rate limit per API key (or per user for session logins, per address otherwise).

    A key's own ``rate_limit`` overrides the platform rate. Counted as a sliding window estimated
    from two fixed-window counters (this window's count plus the previous window's, weighted by
    how much of it still overlaps the last ``duration`` seconds): a few small cache operations
    per request, where DRF's default keeps, reads and rewrites a list of every request's
    timestamp (thousands of them for a busy key). The estimate takes the previous window's
    requests as spread over it, so a key that spent its whole rate at the very end of a window
    may send one more at the start of the next; rounding that share up would close the gap but
    cost every key one request of its rate per window for good (a 1/min key one request every
    two minutes). Retry-After is when the next request fits under the estimate.
    """

    scope = "credential"

    def allow_request(self, request, view):
        credential = request.auth
        if isinstance(credential, ApiKey) and credential.rate_limit:
            self.rate = credential.rate_limit
            self.num_requests, self.duration = self.parse_rate(self.rate)
        if self.rate is None:
            return True
        base = self.get_cache_key(request, view)
        now = self.timer()
        window = int(now // self.duration)
        current, previous = f"{base}:{window}", f"{base}:{window - 1}"
        overlap = 1 - (now - window * self.duration) / self.duration
        answer = _count_in_redis(self.cache, current, previous, overlap, self.num_requests,
                                 2 * self.duration)  # fmt: skip
        if answer is not None:
            if answer[0]:
                return True
            self._refused(now, window, *answer[1:])
            return False
        counts = self.cache.get_many([current, previous])
        this_window, last_window = counts.get(current, 0), counts.get(previous, 0)
        if last_window * overlap + this_window >= self.num_requests:
            self._refused(now, window, this_window, last_window)
            return False
        # Two windows' lifetime: the next window still weighs this one's count.
        if not self.cache.add(current, 1, 2 * self.duration):
            try:
                self.cache.incr(current)
            except ValueError:  # expired between the two calls
                self.cache.add(current, 1, 2 * self.duration)
        return True

    def _refused(self, now, window, current, previous):
        self._wait_s = _seconds_until_allowed(
            now, window, self.duration, self.num_requests, current, previous
        )

    def wait(self):
        return max(1.0, getattr(self, "_wait_s", self.duration))

    def get_cache_key(self, request, view):
        credential = request.auth
        if isinstance(credential, ApiKey):
            ident = f"key:{credential.pk}"
        elif request.user and request.user.is_authenticated:
            ident = f"user:{request.user.pk}"
        else:
            ident = f"ip:{self.get_ident(request)}"
        return self.cache_format % {"scope": self.scope, "ident": ident}


class TenantQuotaThrottle(BaseThrottle):
    """Counts every tenant request towards ``requests_per_day`` and refuses past the quota."""

    def allow_request(self, request, view):
        # Throttles run before the permission check (apps.surface.viewsets.ThrottleFirstMixin),
        # which is what sets request.tenant: the tenant is the credential's.
        credential = request.auth
        tenant = getattr(request, "tenant", None)
        if tenant is None and isinstance(credential, (ApiKey, Membership)):
            tenant = credential.tenant
        if tenant is None:
            return True
        metric = QuotaMetric.REQUESTS_PER_DAY
        # The common case in one statement that reads the limit itself (no cache round trip).
        if usage_add_within_own_limit(tenant_id=tenant.pk, metric=metric, amount=1):
            return True
        if connection.vendor == "postgresql":  # refused, or no counter yet: the same limit
            limit = quota_limit_stored(tenant_id=tenant.pk, metric=metric)
        else:
            limit = quota_limits(tenant_id=tenant.pk).get(metric)
        added, used = usage_add_within(tenant_id=tenant.pk, metric=metric, amount=1, limit=limit)
        if not added:
            raise QuotaExceeded(metric, limit, used)
        return True
