from django.apps import AppConfig


class ModelsRuntimeConfig(AppConfig):
    name = "models_runtime"
    label = "models_runtime"
    verbose_name = "Inference runtime"

    def ready(self):
        from . import tasks  # noqa: F401  registers the inference tasks in every process
