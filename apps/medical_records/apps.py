from django.apps import AppConfig


class MedicalRecordsConfig(AppConfig):
    name = "apps.medical_records"
    label = "medical_records"
    verbose_name = "Medical records"

    def ready(self):
        # Register the tasks in every process (jobs are sent by name; in-process mode must
        # find them), as apps.audit does. The module imports no NLP library at import time.
        from . import tasks  # noqa: F401
