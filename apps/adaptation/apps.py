from django.apps import AppConfig


class AdaptationConfig(AppConfig):
    name = "apps.adaptation"
    label = "adaptation"
    verbose_name = "Domain adaptation (LoRA)"

    def ready(self):
        # Register the tasks in every process (jobs are sent by name; in-process mode must
        # find them). tasks.py imports no torch: the training code loads it when it runs.
        from . import tasks  # noqa: F401

        _four_eyes_register()


def _promote(*, tenant, version, state, approval):
    from .services import adapter_promote  # the services load the training code lazily

    return adapter_promote(tenant=tenant, adapter=version, approval=approval)


def _four_eyes_register() -> None:
    """Adapter promotions under four eyes while the tenant asks for it (an admin requests,
    another admin approves; ``apps.registry.promotions``)."""
    from apps.accounts.roles import Role
    from apps.registry.promotions import four_eyes_register

    from .models import AdapterVersion

    four_eyes_register(
        AdapterVersion,
        approval_kind="adaptation.adapter.promote",
        approver_roles={Role.ADMIN},
        promote=_promote,
        required=lambda tenant: tenant.four_eyes_promotions,
    )
