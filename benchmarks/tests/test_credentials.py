"""bench_inference's API key: an admin key of the ``bench`` tenant, revoked after the run, and
keys a killed run left behind revoked a day later."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from apps.accounts.models import ApiKey, QuotaMetric
from apps.accounts.roles import Role
from benchmarks.harness.credentials import BENCH_TENANT, bench_credential


@pytest.mark.django_db
def test_the_key_is_an_admin_key_of_the_bench_tenant_until_revoked():
    token, revoke = bench_credential()
    key = ApiKey.objects.get(tenant__slug=BENCH_TENANT, name="bench", revoked_at__isnull=True)
    assert key.role == Role.ADMIN and token
    quotas = {q.metric: q.limit for q in key.tenant.quotas.all()}
    assert quotas[QuotaMetric.REQUESTS_PER_DAY] >= 10**15
    revoke()
    key.refresh_from_db()
    assert key.revoked_at is not None


@pytest.mark.django_db
def test_keys_a_killed_run_left_behind_are_revoked_after_a_day():
    _, _ = bench_credential()
    stale = ApiKey.objects.get(tenant__slug=BENCH_TENANT, revoked_at__isnull=True)
    ApiKey.objects.filter(pk=stale.pk).update(created_at=timezone.now() - timedelta(days=2))
    _, revoke = bench_credential()
    stale.refresh_from_db()
    assert stale.revoked_at is not None
    assert ApiKey.objects.filter(tenant__slug=BENCH_TENANT, revoked_at__isnull=True).count() == 1
    revoke()
