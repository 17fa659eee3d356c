from django.apps import AppConfig


class FinancialRiskConfig(AppConfig):
    name = "apps.financial_risk"
    label = "financial_risk"
    verbose_name = "Financial risk"

    def ready(self):
        # Register the tasks in every process (jobs are sent by name; in-process mode must
        # find them), as apps.audit does.
        # Model governance (issue 22): the metric gates and four eyes on the registry's
        # promotion hook for risk models, and the approval kind of promotions.
        from apps.registry.gates import promotion_gate_register

        from . import tasks  # noqa: F401
        from .services.gates import risk_model_metric_gate
        from .services.governance import register_governance, risk_model_four_eyes_gate

        promotion_gate_register("financial_risk.riskmodel", risk_model_four_eyes_gate)
        promotion_gate_register("financial_risk.riskmodel", risk_model_metric_gate)
        register_governance()
