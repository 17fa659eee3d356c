from django.apps import AppConfig


class KnowledgeConfig(AppConfig):
    name = "knowledge"
    verbose_name = "Knowledge graphs"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        # Register the job tasks in every process, not only in workers: jobs are sent by task
        # name, and in-process mode refuses names it does not know.
        from . import tasks  # noqa: F401
