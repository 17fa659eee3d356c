from django.apps import AppConfig

from . import admission, metrics


class ModelsRuntimeConfig(AppConfig):
    name = "models_runtime"
    label = "models_runtime"
    verbose_name = "Inference runtime"

    def ready(self):
        # Registers the inference tasks in every process. Django's app registry must be ready
        # before it is imported: the tasks module reaches the jobs' models.
        from . import tasks  # noqa: F401

        # The broker's queue lengths and GPU figures, on the web's /metrics and each pool's.
        metrics.register_collectors(admission.broker_queues, admission.queued_requests)
