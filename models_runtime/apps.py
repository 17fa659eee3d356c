from django.apps import AppConfig


class ModelsRuntimeConfig(AppConfig):
    name = "models_runtime"
    label = "models_runtime"
    verbose_name = "Inference runtime"

    def ready(self):
        from . import client, metrics, tasks  # tasks: registers the inference tasks everywhere

        # The broker's queue lengths and GPU figures, on the web's /metrics and each pool's.
        metrics.register_collectors(client.broker_queues, client.queued_requests)
        del tasks
