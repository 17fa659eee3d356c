"""Celery task of the notification service: deliver, retrying with back-off."""

from __future__ import annotations

from celery import shared_task

from .delivery import delivery_failed, notification_deliver
from .models import Delivery

MAX_RETRIES = 4


@shared_task(
    bind=True, name="apps.notifications.tasks.notification_deliver_task", max_retries=MAX_RETRIES
)
def notification_deliver_task(self, delivery_id: str) -> str:
    """Deliver one notification; on an error retry after 2, 4, 8, 16 s, then give up (the
    delivery log keeps the last error). Idempotent: a sent delivery is not sent again."""
    delivery = Delivery.objects.select_related("destination").filter(pk=delivery_id).first()
    if delivery is None:
        return "missing"
    try:
        notification_deliver(delivery=delivery)
    except Exception as exc:  # any transport error is retried, then logged
        final = self.request.retries >= MAX_RETRIES
        delivery_failed(delivery=delivery, error=f"{type(exc).__name__}: {exc}", final=final)
        if final:
            return "failed"
        raise self.retry(exc=exc, countdown=2 ** (self.request.retries + 1)) from exc
    delivery.refresh_from_db(fields=["state"])
    return delivery.state
