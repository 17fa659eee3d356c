"""Delivering one notification (used by the task): a webhook POST or an e-mail."""

from __future__ import annotations

from urllib.parse import urlsplit

import requests
from django.conf import settings
from django.core.mail import send_mail
from django.utils import timezone

from .models import Delivery, DeliveryState, DestinationKind


def host_allowed(url: str) -> bool:
    """Whether a webhook URL's host (or ``host:port``) is on the platform's allow-list; only
    http(s) URLs qualify."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return False
    allowed = {h.lower() for h in getattr(settings, "NOTIFICATIONS_ALLOWED_HOSTS", [])}
    host = parts.hostname.lower()
    return host in allowed or (parts.port is not None and f"{host}:{parts.port}" in allowed)


def notification_deliver(*, delivery: Delivery) -> bool:
    """One attempt at a delivery; True once it is sent. Raises on a failure worth retrying
    (the task retries with back-off); a refused host fails at once, without retrying."""
    if delivery.state == DeliveryState.SENT:
        return True
    destination = delivery.destination
    Delivery.objects.filter(pk=delivery.pk).update(attempts=delivery.attempts + 1)
    delivery.attempts += 1
    if destination.kind == DestinationKind.WEBHOOK:
        if not host_allowed(destination.url):
            _mark(delivery, DeliveryState.FAILED, "host not on the allow-list")
            return False
        headers = {"Content-Type": "application/json"}
        if destination.secret_header:
            headers[destination.secret_header] = destination.secret_value
        response = requests.post(
            destination.url,
            json={
                "topic": delivery.topic,
                "subject": delivery.subject,
                "body": delivery.body,
                "payload": delivery.payload,
                "delivery": str(delivery.pk),
            },
            headers=headers,
            timeout=getattr(settings, "NOTIFICATIONS_TIMEOUT_S", 5),
            allow_redirects=False,  # a redirect could lead off the allow-list
        )
        response.raise_for_status()
    else:
        send_mail(
            delivery.subject,
            delivery.body,
            getattr(settings, "DEFAULT_FROM_EMAIL", None),
            list(destination.emails),
        )
    _mark(delivery, DeliveryState.SENT, "")
    return True


def delivery_failed(*, delivery: Delivery, error: str, final: bool) -> None:
    """Record a failed attempt (and give up when ``final``)."""
    Delivery.objects.filter(pk=delivery.pk).update(
        last_error=error[:500], state=DeliveryState.FAILED if final else DeliveryState.PENDING
    )


def _mark(delivery: Delivery, state: str, error: str) -> None:
    Delivery.objects.filter(pk=delivery.pk).update(
        state=state, last_error=error, sent_at=timezone.now() if state == "sent" else None
    )
    delivery.state = state
