"""The Celery app: two queues, `default` for jobs and `inference` for neural-model calls.

Configuration lives in Django settings under CELERY_*. Routing sends everything from
models_runtime, and LoRA training (apps.adaptation.tasks), to `inference`; the rest goes to
`default`.
"""

import os

from celery import Celery
from kombu import Queue

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

app = Celery("config")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.conf.task_queues = (Queue("default"), Queue("inference"))
app.conf.task_default_queue = "default"
# LoRA training and evaluation run where the models (and the GPU) are.
app.conf.task_routes = {
    "models_runtime.*": {"queue": "inference"},
    "apps.adaptation.tasks.*": {"queue": "inference"},
}
app.autodiscover_tasks()
