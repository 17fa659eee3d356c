from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    """The platform's one way to tell people: per-tenant webhooks and e-mail, allow-listed,
    retried, de-duplicated and logged (customer-service handoffs, risk alerts), and the alerts
    people acknowledge."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "apps.notifications"
    label = "notifications"

    def ready(self):
        from .alerts import operations_domain_register

        # The domain of the platform's own alerts (failing jobs, audit verifications).
        operations_domain_register()
