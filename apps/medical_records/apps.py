from django.apps import AppConfig


class MedicalRecordsConfig(AppConfig):
    name = "apps.medical_records"
    label = "medical_records"
    verbose_name = "Medical records"

    def ready(self):
        # Register the tasks in every process (jobs are sent by name; in-process mode must
        # find them), as apps.audit does. The module imports no NLP library at import time.
        # The clinical-entity NER model is served by models_runtime beside its defaults.
        from models_runtime.specs import register_model

        from . import tasks  # noqa: F401
        from .services.ner import model_spec

        register_model(model_spec())
