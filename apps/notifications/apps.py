from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    """The platform's one way to tell people: per-tenant webhooks and e-mail, allow-listed,
    retried, de-duplicated and logged (customer-service handoffs, risk alerts)."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "apps.notifications"
    label = "notifications"
