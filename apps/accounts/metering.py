"""The quota and usage hooks models_runtime calls (settings MODELS_RUNTIME_*_HOOK), so the
inference layer meters tenants without importing this app."""

from __future__ import annotations

from .models import QuotaMetric, Tenant
from .selectors import quota_limits, usage_today
from .services import usage_add
from .throttling import QuotaExceeded

MODEL_METRICS = (QuotaMetric.MODEL_TOKENS_PER_DAY, QuotaMetric.COMPUTE_SECONDS_PER_DAY)


def check_model_quota(*, tenant_id) -> None:
    """Raise QuotaExceeded (429 naming the quota) if the tenant used up a model quota today.

    The limits are cached (``quota_limits``), so a tenant without model quotas costs no query.
    """
    limits = quota_limits(tenant_id=tenant_id)
    tenant = Tenant(pk=tenant_id)
    for metric in MODEL_METRICS:
        limit = limits.get(metric)
        if limit is None:
            continue
        used = usage_today(tenant=tenant, metric=metric)
        if used >= limit:
            raise QuotaExceeded(metric, limit, used)


def record_model_usage(*, tenant_id, model: str, tokens: int, compute_seconds: float) -> None:
    """Add a model call's tokens and compute seconds to the tenant's daily counters."""
    tenant = Tenant(pk=tenant_id)
    usage_add(tenant=tenant, metric=QuotaMetric.MODEL_TOKENS_PER_DAY, amount=tokens)
    usage_add(tenant=tenant, metric=QuotaMetric.COMPUTE_SECONDS_PER_DAY, amount=compute_seconds)
