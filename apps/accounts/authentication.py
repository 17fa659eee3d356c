"""DRF authentication: API keys for client systems, sessions for the web UI.

Both end with ``request.auth`` holding a *credential* that names exactly one tenant and one role
(an ApiKey, or the user's Membership in the chosen tenant), so that everything downstream (the
default permission, selectors, audit) reads the tenant from one place.
"""

from __future__ import annotations

import time

from django.conf import settings
from django.core.cache import cache
from rest_framework import authentication, exceptions

from apps.core.context import Actor, set_actor
from apps.core.public_ids import user_public_id

from .models import ApiKey, Membership
from .selectors import api_key_for_token, api_key_problem, memberships_of
from .services import api_key_touch

TENANT_HEADER = "HTTP_X_TENANT"


class AuthFailureBudget:
    """Failed authentications per client address and window (AUTH_FAILURES_PER_ADDRESS, e.g.
    "30/min"): over it, the address gets 429 before its keys are even looked up."""

    def __init__(self, request):
        count, _, period = settings.AUTH_FAILURES_PER_ADDRESS.partition("/")
        self.limit = int(count)
        self.window_s = {"s": 1, "sec": 1, "min": 60, "m": 60, "h": 3600, "hour": 3600}[period]
        now = time.time()
        self.window = int(now // self.window_s)
        self.remaining_s = (self.window + 1) * self.window_s - now
        address = request.META.get("REMOTE_ADDR", "") or "unknown"
        self.key = f"accounts:auth-failures:{address}:{self.window}"

    def exhausted(self) -> bool:
        return (cache.get(self.key) or 0) >= self.limit

    def spend(self) -> None:
        if not cache.add(self.key, 1, 2 * self.window_s):
            try:
                cache.incr(self.key)
            except ValueError:
                cache.add(self.key, 1, 2 * self.window_s)

    def wait_s(self) -> float:
        return max(1.0, self.remaining_s)


class ApiKeyUser:
    """The ``request.user`` of an API-key request: authenticated, never staff, no Django user."""

    is_authenticated = True
    is_anonymous = False
    is_active = True
    is_staff = False
    is_superuser = False
    pk = None
    id = None

    def __init__(self, api_key: ApiKey):
        self.api_key = api_key
        self.username = f"api-key:{api_key.prefix}"

    def __str__(self) -> str:
        return self.username

    def has_perm(self, *args, **kwargs) -> bool:  # Django permissions are for the web admin only
        return False


def actor_for(credential) -> Actor:
    if isinstance(credential, ApiKey):
        return Actor(
            "api_key",
            id=credential.pk,
            label=f"{credential.name} ({credential.prefix})",
            tenant_id=credential.tenant_id,
            role=credential.role,
        )
    return Actor(
        "user",
        id=user_public_id(credential.user_id),
        label=credential.user.get_username(),
        tenant_id=credential.tenant_id,
        role=credential.role,
    )


class ApiKeyAuthentication(authentication.BaseAuthentication):
    """``Authorization: Api-Key <key>`` (or ``X-API-Key: <key>``)."""

    keyword = "Api-Key"

    def authenticate(self, request):
        token = self._token_from(request)
        if token is None:
            return None
        # An address that keeps sending bad keys is refused before any lookup or write.
        budget = AuthFailureBudget(request)
        if budget.exhausted():
            raise exceptions.Throttled(wait=budget.wait_s())
        api_key = api_key_for_token(token)
        if api_key is None:
            budget.spend()
            raise exceptions.AuthenticationFailed("Invalid API key.")
        problem = api_key_problem(api_key)
        if problem:
            budget.spend()
            raise exceptions.AuthenticationFailed(problem)
        api_key_touch(api_key=api_key)
        set_actor(actor_for(api_key))
        return ApiKeyUser(api_key), api_key

    def _token_from(self, request) -> str | None:
        header = request.META.get("HTTP_AUTHORIZATION", "")
        if header:
            scheme, _, value = header.partition(" ")
            if scheme.lower() == self.keyword.lower():
                return value.strip()
            return None
        value = request.META.get("HTTP_X_API_KEY")
        return value.strip() if value else None

    def authenticate_header(self, request) -> str:
        # Makes DRF answer 401 (with WWW-Authenticate) rather than 403 for missing credentials.
        return self.keyword


class TenantSessionAuthentication(authentication.SessionAuthentication):
    """Session login (web UI). The tenant comes from ``X-Tenant: <slug>`` or, for a user with a
    single membership, from that membership."""

    def authenticate(self, request):
        result = super().authenticate(request)
        if result is None:
            return None
        user, _ = result
        membership = self._membership(request, user)
        set_actor(actor_for(membership))
        return user, membership

    @staticmethod
    def _membership(request, user) -> Membership:
        memberships = memberships_of(user)
        slug = request.META.get(TENANT_HEADER, "").strip()
        if slug:
            membership = memberships.filter(tenant__slug=slug).first()
            if membership is None:
                raise exceptions.PermissionDenied(f"You are not a member of tenant {slug!r}.")
            return membership
        found = list(memberships[:2])
        if not found:
            raise exceptions.PermissionDenied("You are not a member of any tenant.")
        if len(found) > 1:
            raise exceptions.PermissionDenied(
                "You belong to several tenants: name one in the X-Tenant header."
            )
        return found[0]
