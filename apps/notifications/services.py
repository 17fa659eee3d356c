"""Writes of the notification service: destinations and ``notification_send``.

``notification_send`` records one ``Delivery`` per destination that takes the topic (none when
the same ``(tenant, topic, dedup_key)`` was sent within ``NOTIFICATIONS_DEDUP_S``) and queues
their delivery as a Celery task after the transaction commits; the task retries with back-off
(``notification_deliver``). Webhook hosts must be on ``NOTIFICATIONS_ALLOWED_HOSTS``."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from apps.audit.services import audited

from .delivery import host_allowed
from .models import SEVERITY_RANK, Delivery, Destination, DestinationKind
from .tasks import notification_deliver_task


class DestinationRefused(ValueError):
    """A destination the platform does not allow; ``field`` names the offending field."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


def destination_create(
    *,
    tenant,
    kind: str,
    url: str = "",
    emails: list[str] | None = None,
    topics: list[str] | None = None,
    secret_header: str = "",
    secret_value: str = "",
    min_severity: str = "",
) -> Destination:
    """A webhook (allow-listed host) or e-mail destination of a tenant, audited. ``topics``
    (exact, or a prefix ending in ``*``) and ``min_severity`` route what reaches it."""
    if min_severity and min_severity not in SEVERITY_RANK:
        raise DestinationRefused("min_severity", f"unknown severity {min_severity!r}")
    if kind == DestinationKind.WEBHOOK and not host_allowed(url):
        raise DestinationRefused("url", f"the host of {url!r} is not on the allow-list")
    if kind == DestinationKind.EMAIL and not emails:
        raise DestinationRefused("emails", "an e-mail destination needs at least one address")
    with audited(
        tenant=tenant,
        action="notifications.destination.create",
        resource_type="notifications.destination",
    ) as event:
        destination = Destination.objects.create(
            tenant=tenant,
            kind=kind,
            url=url,
            emails=list(emails or []),
            topics=list(topics or []),
            secret_header=secret_header,
            secret_value=secret_value,
            min_severity=min_severity,
        )
        event.resource_id = str(destination.pk)
        event.details = {
            "kind": kind,
            "topics": destination.topics,
            "min_severity": min_severity,
        }
    return destination


def _takes(destination: Destination, topic: str, severity: str = "") -> bool:
    """Whether ``destination`` routes ``topic`` (at ``severity``, for notifications that
    carry one): a topic listed exactly or under a ``prefix*`` entry (no topics: every one),
    and a severity at or above the destination's ``min_severity``."""
    topics = destination.topics
    if topics and not any(
        topic.startswith(t[:-1]) if t.endswith("*") else topic == t for t in topics
    ):
        return False
    if severity and destination.min_severity:
        return SEVERITY_RANK.get(severity, 0) >= SEVERITY_RANK[destination.min_severity]
    return True


def notification_send(
    *,
    tenant,
    topic: str,
    dedup_key: str,
    subject: str,
    body: str = "",
    payload=None,
    severity: str = "",
) -> list[Delivery]:
    """Notify the tenant's destinations of ``topic`` (and ``severity``, for alerts); the
    deliveries made (empty when deduped or when no destination takes it). Delivery happens in
    a task after commit."""
    window = timedelta(seconds=getattr(settings, "NOTIFICATIONS_DEDUP_S", 3600))
    recent = Delivery.objects.filter(
        tenant=tenant,
        topic=topic,
        dedup_key=dedup_key,
        created_at__gte=timezone.now() - window,
    )
    destinations = [
        d
        for d in Destination.objects.filter(tenant=tenant, active=True)
        if _takes(d, topic, severity)
    ]
    if not destinations or recent.exists():
        return []
    with audited(
        tenant=tenant,
        action="notifications.send",
        resource_type="notifications.delivery",
        resource_id=topic,
    ) as event:
        deliveries = [
            Delivery.objects.create(
                tenant=tenant,
                destination=destination,
                topic=topic,
                dedup_key=dedup_key,
                subject=subject[:300],
                body=body,
                payload=payload or {},
            )
            for destination in destinations
        ]
        event.row_count = len(deliveries)
        event.details = {"topic": topic, "severity": severity}
    for delivery in deliveries:
        transaction.on_commit(
            lambda pk=str(delivery.pk): notification_deliver_task.delay(pk), robust=True
        )
    return deliveries
