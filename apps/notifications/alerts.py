"""Alerts: the platform primitive the monitors raise and people acknowledge.

``alert_raise`` opens an alert (or, while one of the same ``(tenant, source, dedup_key)`` is
open, counts it again and moves ``last_seen``) and sends it once through the notification
service under the topic ``alert.<source>`` with its severity, so each destination's topics and
``min_severity`` route it (``Destination``). ``alert_acknowledge`` closes it for a person: the
next raise of the same key opens a new alert. Both are audited.

Who sees an alert follows the domain table (apps.accounts.domains): an alert carries the data
domain of what it is about (``financial_risk`` for a drifting credit model); alerts about the
platform's own operation (failing jobs of no domain, audit-chain verifications) carry
``operations``, which auditors read and admins write (declared here, registered when the app
is ready). Readers of the domain see the alert; writers acknowledge it.
"""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils import timezone

from apps.accounts.domains import domain_register
from apps.accounts.roles import Role
from apps.audit.services import audited

from .models import SEVERITY_RANK, Alert, Severity
from .services import notification_send

OPERATIONS_DOMAIN = "operations"


def operations_domain_register() -> None:
    """The domain of the platform's own alerts: auditors read, admins acknowledge."""
    domain_register(OPERATIONS_DOMAIN, read={Role.AUDITOR}, write={Role.ADMIN})


class AlertRefused(ValueError):
    """An alert that cannot be acknowledged (already acknowledged); ``field`` names why."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


def _body(alert: Alert) -> str:
    lines = [
        f"{alert.get_severity_display()}: {alert.title}",
        f"Source: {alert.source} · tenant {alert.tenant.slug}",
        f"First seen {alert.first_seen.isoformat()}",
        "",
        "Acknowledge it in the operator console (/ops/alerts/) or with "
        f"POST /api/v1/notifications/alerts/{alert.pk}/acknowledge/.",
    ]
    return "\n".join(lines)


def _open(tenant, source: str, dedup_key: str):
    return (
        Alert.objects.select_for_update()
        .filter(tenant=tenant, source=source, dedup_key=dedup_key, acknowledged_at__isnull=True)
        .first()
    )


def alert_raise(
    *,
    tenant,
    source: str,
    severity: str,
    title: str,
    dedup_key: str,
    domain: str = OPERATIONS_DOMAIN,
    details: dict | None = None,
) -> Alert:
    """Raise an alert of ``tenant``; returns the open alert (new, or counted again). A new
    alert is notified to the tenant's destinations that take ``alert.<source>`` at its
    severity; one raised again while open is not notified again (and a raise of a key already
    notified within ``NOTIFICATIONS_DEDUP_S`` is deduplicated by the notification service).
    A raise of higher severity than the open alert's raises the alert's severity."""
    if severity not in SEVERITY_RANK:
        raise ValueError(f"unknown severity {severity!r}")
    now = timezone.now()
    with audited(
        tenant=tenant, action="notifications.alert.raise", resource_type="notifications.alert"
    ) as event:
        alert = _open(tenant, source, dedup_key)
        created = alert is None
        if created:
            try:
                with transaction.atomic():
                    alert = Alert.objects.create(
                        tenant=tenant,
                        source=source[:100],
                        domain=domain,
                        severity=severity,
                        title=title[:300],
                        details=details or {},
                        dedup_key=dedup_key[:200],
                        first_seen=now,
                        last_seen=now,
                    )
            except IntegrityError:  # raised at the same moment elsewhere: count that one
                alert, created = _open(tenant, source, dedup_key), False
        if not created:
            alert.count += 1
            alert.last_seen = now
            alert.details = details or alert.details
            if SEVERITY_RANK[severity] > SEVERITY_RANK[alert.severity]:
                alert.severity = severity
            alert.save(update_fields=["count", "last_seen", "details", "severity"])
        event.resource_id = str(alert.pk)
        event.details = {
            "source": source,
            "severity": alert.severity,
            "count": alert.count,
            "new": created,
        }
    if created:
        alert_notify(alert=alert)
    return alert


def alert_notify(*, alert: Alert) -> list:
    """Send ``alert`` through the notification service (deduplicated on its key)."""
    return notification_send(
        tenant=alert.tenant,
        topic=alert.topic,
        dedup_key=f"{alert.source}:{alert.dedup_key}",
        subject=f"[{alert.severity.upper()}] {alert.title}",
        body=_body(alert),
        severity=alert.severity,
        payload={
            "alert": str(alert.pk),
            "source": alert.source,
            "severity": alert.severity,
            "title": alert.title,
            "domain": alert.domain,
            "details": alert.details,
            "first_seen": alert.first_seen.isoformat(),
        },
    )


def alert_acknowledge(*, tenant, alert: Alert, user=None, label: str = "", actor=None) -> Alert:
    """Acknowledge an open alert of ``tenant`` as ``user`` (a person) or ``label`` (an API
    key's name), audited; acknowledging twice is refused (``AlertRefused``)."""
    if alert.tenant_id != tenant.pk:
        raise Alert.DoesNotExist("no such alert in this tenant")
    with audited(
        tenant=tenant,
        action="notifications.alert.acknowledge",
        resource_type="notifications.alert",
        resource_id=str(alert.pk),
        actor=actor,
    ) as event:
        locked = Alert.objects.select_for_update().get(pk=alert.pk, tenant=tenant)
        if locked.acknowledged_at is not None:
            raise AlertRefused("alert", "this alert is already acknowledged")
        locked.acknowledged_at = timezone.now()
        locked.acknowledged_by = user
        locked.acknowledged_by_label = (label or (user.get_username() if user is not None else ""))[
            :150
        ]
        locked.save(update_fields=["acknowledged_at", "acknowledged_by", "acknowledged_by_label"])
        event.details = {"source": locked.source, "severity": locked.severity}
    return locked


__all__ = [
    "OPERATIONS_DOMAIN",
    "AlertRefused",
    "Severity",
    "alert_acknowledge",
    "alert_notify",
    "alert_raise",
]
