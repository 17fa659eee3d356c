"""The tenant that the evaluate and bench commands work in: set up like a default tenant, with a
request quota no run can reach. The benchmark harness itself lives in the top-level
``benchmarks`` package, which the product does not import."""

from __future__ import annotations

from .models import QuotaMetric, Tenant
from .services import quota_set

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
