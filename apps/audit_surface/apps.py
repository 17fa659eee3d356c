from django.apps import AppConfig


class AuditSurfaceConfig(AppConfig):
    name = "apps.audit_surface"
    label = "audit_surface"
    verbose_name = "Audit log (API, admin and jobs)"

    def ready(self):
        # Register the verification task with Celery in every process, not only in workers
        # (which autodiscover it): jobs are sent by task name, and without a broker (in-process
        # mode) an unregistered name is published to nowhere instead of run.
        from . import tasks  # noqa: F401
