from django.apps import AppConfig


class CustomerServiceConfig(AppConfig):
    name = "apps.customer_service"
    label = "customer_service"
    verbose_name = "Customer service"

    def ready(self):
        # Register the tasks in every process (jobs are sent by name; in-process mode must
        # find them), as apps.financial_risk does.
        from . import tasks  # noqa: F401
        from .four_eyes import register as four_eyes_register

        four_eyes_register()
