from django.apps import AppConfig


class FinancialRiskConfig(AppConfig):
    name = "apps.financial_risk"
    label = "financial_risk"
    verbose_name = "Financial risk"

    def ready(self):
        # Register the tasks in every process (jobs are sent by name; in-process mode must
        # find them), as apps.audit does.
        from . import tasks  # noqa: F401
