"""Usage metering: the worker's meter adds requests up and writes sums; a failed write is kept
for the next flush; in-process calls are metered by the caller at once."""

from __future__ import annotations

import pytest
from django.utils import timezone

from apps.accounts.models import QuotaMetric, UsageCounter
from models_runtime import client, metering
from models_runtime.metering import Usage, UsageMeter
from models_runtime.models import ModelUsage

pytestmark = pytest.mark.django_db


def test_meter_adds_up_per_tenant_and_model_and_writes_sums(tenant, other_tenant):
    meter = UsageMeter()
    for tokens in (3, 4, 5):
        meter.add(tenant_id=tenant.pk, model="embed", usage=Usage(1, tokens, 0, 0.25))
    meter.add(tenant_id=tenant.pk, model="chat", usage=Usage(1, 10, 20, 1.0))
    meter.add(tenant_id=other_tenant.pk, model="embed", usage=Usage(1, 100, 0, 0.5))
    assert ModelUsage.objects.count() == 0, "nothing is written before a flush"

    assert meter.flush() == 3
    embed = ModelUsage.objects.get(tenant_id=tenant.pk, model="embed")
    assert (embed.requests, embed.tokens_in, embed.compute_seconds) == (3, 12, 0.75)
    chat = ModelUsage.objects.get(tenant_id=tenant.pk, model="chat")
    assert (chat.requests, chat.tokens_in, chat.tokens_out) == (1, 10, 20)
    assert ModelUsage.objects.get(tenant_id=other_tenant.pk).tokens_in == 100
    tokens = UsageCounter.objects.get(tenant=tenant, metric=QuotaMetric.MODEL_TOKENS_PER_DAY)
    assert tokens.value == 12 + 30
    assert meter.flush() == 0, "each sum is written once"

    meter.add(tenant_id=tenant.pk, model="embed", usage=Usage(2, 1, 0, 0.0))
    meter.flush()
    embed.refresh_from_db()
    assert (embed.requests, embed.tokens_in) == (5, 13)


def test_a_failed_write_is_kept_for_the_next_flush(tenant, monkeypatch):
    meter = UsageMeter()
    meter.add(tenant_id=tenant.pk, model="embed", usage=Usage(1, 7, 0, 0.1))
    real_write = metering.write_usage

    def broken(**kwargs):
        raise RuntimeError("database away")

    monkeypatch.setattr(metering, "write_usage", broken)
    assert meter.flush() == 0
    assert meter.pending()[(str(tenant.pk), "embed", timezone.now().date())].tokens_in == 7
    monkeypatch.setattr(metering, "write_usage", real_write)
    assert meter.flush() == 1
    assert ModelUsage.objects.get(tenant_id=tenant.pk).tokens_in == 7


def test_running_meter_takes_the_usage_instead_of_the_caller(tenant):
    """With the meter running (as in a worker), the task marks its answer as metered and the
    caller writes nothing; the usage arrives with the meter's flush."""
    meter = metering.meter
    meter.start(interval_s=3600)
    try:
        result = client.embed(["where is my parcel"], tenant_id=tenant.pk, use_cache=False)
        assert not ModelUsage.objects.filter(tenant_id=tenant.pk).exists()
        meter.flush()
        usage = ModelUsage.objects.get(tenant_id=tenant.pk, model="embed")
        assert (usage.requests, usage.tokens_in) == (1, result.tokens_in)
    finally:
        meter.stop()
    assert not meter.running


def test_in_process_calls_are_metered_by_the_caller(tenant):
    assert not metering.meter.running
    result = client.embed(["where is my parcel"], tenant_id=tenant.pk, use_cache=False)
    usage = ModelUsage.objects.get(tenant_id=tenant.pk, model="embed")
    assert (usage.requests, usage.tokens_in) == (1, result.tokens_in)
