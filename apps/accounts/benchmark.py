"""The credential benchmarks use (settings MODELS_RUNTIME_BENCH_CREDENTIAL_HOOK), so that
``manage.py bench_inference`` calls the API like any client without models_runtime importing
this app."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from django.utils import timezone

from .models import ApiKey, QuotaMetric, Tenant
from .roles import Role
from .services import api_key_create, api_key_revoke, quota_set

BENCH_TENANT = "bench"
# Far beyond anything a benchmark run uses: quotas must never be what is measured.
UNLIMITED = 10**15


def bench_tenant(*, slug: str, name: str) -> Tenant:
    """A benchmark's tenant, set up like a default tenant (no model quotas) whose request quota
    no run can reach: quotas must never be what a benchmark measures."""
    tenant, _ = Tenant.objects.get_or_create(slug=slug, defaults={"name": name})
    quota_set(tenant=tenant, metric=QuotaMetric.REQUESTS_PER_DAY, limit=UNLIMITED)
    for metric in (QuotaMetric.MODEL_TOKENS_PER_DAY, QuotaMetric.COMPUTE_SECONDS_PER_DAY):
        quota_set(tenant=tenant, metric=metric, limit=None)
    return tenant


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
