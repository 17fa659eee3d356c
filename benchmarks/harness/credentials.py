"""The API key ``bench_inference`` calls the platform with, like any client would."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from django.utils import timezone

from apps.accounts.benchmark import bench_tenant
from apps.accounts.models import ApiKey
from apps.accounts.roles import Role
from apps.accounts.services import api_key_create, api_key_revoke

BENCH_TENANT = "bench"


def bench_credential() -> tuple[str, Callable[[], None]]:
    """A fresh admin key of the ``bench`` tenant and the function that revokes it (for
    ``bench_inference``). Keys that a killed run left behind are revoked after a day."""
    tenant = bench_tenant(slug=BENCH_TENANT, name="Inference benchmark")
    stale = ApiKey.objects.filter(
        tenant=tenant,
        name="bench",
        revoked_at__isnull=True,
        created_at__lt=timezone.now() - timedelta(days=1),
    )
    for old in stale:
        api_key_revoke(api_key=old)
    created = api_key_create(tenant=tenant, name="bench", role=Role.ADMIN, rate_limit="1000000/min")
    return created.token, lambda: api_key_revoke(api_key=created.api_key)
