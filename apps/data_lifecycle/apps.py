from django.apps import AppConfig


class DataLifecycleConfig(AppConfig):
    """Retention, erasure and export of personal data; its tables stay in ``apps.privacy``."""

    name = "apps.data_lifecycle"
    label = "data_lifecycle"
    verbose_name = "Data lifecycle"

    def ready(self) -> None:
        # The tasks register with Celery in every process (jobs are sent by name); the erasure
        # approval kind registers with apps.approvals once the models are ready.
        from . import tasks  # noqa: F401
        from .erasure import register_erasure_approvals

        register_erasure_approvals()
