"""The Celery app: two queues, `default` for jobs and `inference` for neural-model calls.

Configuration lives in Django settings under CELERY_*. Routing sends everything from
models_runtime, and LoRA training (apps.adaptation.tasks), to `inference`; the rest goes to
`default`.
"""

import os

from celery import Celery
from kombu import Queue

from apps.privacy.queue_serializer import NAME as ENCRYPTED_JSON
from apps.privacy.queue_serializer import register_encrypted_json

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

app = Celery("config", amqp="apps.privacy.queue_serializer:EncryptedPayloadAMQP")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.conf.task_queues = (Queue("default"), Queue("inference"))
app.conf.task_default_queue = "default"
# LoRA training and evaluation run where the models (and the GPU) are.
app.conf.task_routes = {
    "models_runtime.*": {"queue": "inference"},
    "apps.adaptation.tasks.*": {"queue": "inference"},
}
# Task and result payloads (prompts, note text, generated text) are encrypted in the broker and
# the result backend (apps.privacy.queue_serializer).
register_encrypted_json()
app.conf.task_serializer = app.conf.result_serializer = ENCRYPTED_JSON
app.conf.accept_content = app.conf.result_accept_content = [ENCRYPTED_JSON]
app.autodiscover_tasks()
