from django.apps import AppConfig


class CustomerServiceConfig(AppConfig):
    name = "apps.customer_service"
    label = "customer_service"
    verbose_name = "Customer service"

    def ready(self):
        # Register the tasks in every process (jobs are sent by name; in-process mode must
        # find them), as apps.financial_risk does.
        from . import tasks  # noqa: F401

        _four_eyes_register()


def _promote(*, tenant, version, state, approval):
    from .services import intent_model_promote

    return intent_model_promote(tenant=tenant, model=version, approval=approval)


def _four_eyes_register() -> None:
    """Intent-model promotions under four eyes while the tenant asks for it (training then
    keeps the new version a draft; an admin requests, another admin approves)."""
    from apps.accounts.roles import Role
    from apps.registry.promotions import four_eyes_register

    from .models import IntentModel

    four_eyes_register(
        IntentModel,
        approval_kind="customer_service.intent_model.promote",
        approver_roles={Role.ADMIN},
        promote=_promote,
        required=lambda tenant: tenant.four_eyes_promotions,
    )
