"""Per-credential rate limits and per-tenant daily quotas (which also meter requests)."""

from __future__ import annotations

from rest_framework import status
from rest_framework.exceptions import APIException
from rest_framework.throttling import BaseThrottle, SimpleRateThrottle

from .models import ApiKey, QuotaMetric
from .selectors import quota_limit, usage_today
from .services import usage_add


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


class CredentialRateThrottle(SimpleRateThrottle):
    """A token bucket per API key (or per user for session logins).

    A key's own ``rate_limit`` overrides the platform rate.
    """

    scope = "credential"

    def allow_request(self, request, view):
        credential = request.auth
        if isinstance(credential, ApiKey) and credential.rate_limit:
            self.rate = credential.rate_limit
            self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request, view)

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
        tenant = getattr(request, "tenant", None)
        if tenant is None:
            return True
        metric = QuotaMetric.REQUESTS_PER_DAY
        limit = quota_limit(tenant=tenant, metric=metric)
        used = usage_today(tenant=tenant, metric=metric)
        if limit is not None and used >= limit:
            raise QuotaExceeded(metric, limit, used)
        usage_add(tenant=tenant, metric=metric, amount=1)
        return True
