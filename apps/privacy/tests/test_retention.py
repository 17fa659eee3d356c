"""Retention with frozen time: the scheduled job deletes rows past their period, in batches,
one audit event per batch with counts; rows within it are untouched."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone
from rest_framework.exceptions import ValidationError

from apps.audit.models import AuditEvent
from apps.customer_service.models import Conversation
from apps.customer_service.tests import factories as cs
from apps.data_lifecycle.retention import retention_policy_set
from apps.data_lifecycle.tasks import privacy_retention_scheduled_task
from apps.jobs.models import Job

pytestmark = pytest.mark.django_db
NOW = timezone.now().replace(microsecond=0)


def _conversations_at(tenant, when, n):
    with time_machine.travel(when, tick=False):
        return [cs.conversation(tenant).pk for _ in range(n)]


def test_scheduled_job_deletes_only_rows_past_their_period(
    tenant, other_tenant, settings, django_capture_on_commit_callbacks
):
    settings.PRIVACY_RETENTION_BATCH = 2
    retention_policy_set(tenant=tenant, data_kind="customer_service.conversations", days=30)
    old = _conversations_at(tenant, NOW - timedelta(days=31), 3)
    edge = _conversations_at(tenant, NOW - timedelta(days=29, hours=23), 1)
    recent = _conversations_at(tenant, NOW - timedelta(days=1), 2)
    # The other tenant keeps the platform default (two years): its 31-day-old rows stay.
    others = _conversations_at(other_tenant, NOW - timedelta(days=31), 2)

    with time_machine.travel(NOW, tick=False), django_capture_on_commit_callbacks(execute=True):
        privacy_retention_scheduled_task.apply()

    left = set(Conversation.objects.values_list("pk", flat=True))
    assert not left & set(old)
    assert set(edge + recent + others) <= left
    events = AuditEvent.objects.filter(tenant=tenant, action="privacy.retention.delete")
    assert sorted(events.values_list("row_count", flat=True)) == [1, 2]  # batches of 2
    jobs = Job.objects.filter(kind="privacy.retention")
    assert jobs.count() == 2 and set(jobs.values_list("state", flat=True)) == {"succeeded"}


def test_policy_validation_names_the_field(tenant):
    with pytest.raises(ValidationError, match="data_kind"):
        retention_policy_set(tenant=tenant, data_kind="nope", days=3)
    with pytest.raises(ValidationError, match="days"):
        retention_policy_set(tenant=tenant, data_kind="customer_service.conversations", days=0)
