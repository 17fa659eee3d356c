from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "apps.audit"
    label = "audit"
    verbose_name = "Audit log"

    def ready(self):
        # Register the tasks with Celery in every process, not only in workers (which
        # autodiscover them): jobs are sent by task name, and without a broker (in-process
        # mode) an unregistered name is published to nowhere instead of run.
        from apps.core.errors import denial_recorder_register

        from . import checks, tasks  # noqa: F401
        from .services.denials import denial_record

        # The API's error handler (apps.core, below this app) audits refused requests through
        # the recorder registered here.
        denial_recorder_register(denial_record)
