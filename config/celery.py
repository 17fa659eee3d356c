"""The Celery app and its queues: one per model group, consumed by a worker pool per device.

Configuration lives in Django settings under CELERY_*. Queues: `default` (jobs),
`inference.chat` (generation models; the GPU pool `worker-gpu`), `inference.embed` and
`inference.classify` (the CPU pool `worker-cpu`), `training` (LoRA training; `worker-training`).
An inference task goes to its model's queue (models_runtime/routing.py), a task a vertical routes
in its declaration to that queue (LoRA training: `training`); the rest to `default`.
"""

import os

from celery import Celery
from kombu import Queue

from apps.privacy.queue_serializer import NAME as ENCRYPTED_JSON
from apps.privacy.queue_serializer import register_encrypted_json

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

app = Celery("config", amqp="apps.privacy.queue_serializer:EncryptedPayloadAMQP")
app.config_from_object("django.conf:settings", namespace="CELERY")
INFERENCE_QUEUES = ("inference.chat", "inference.embed", "inference.classify")
app.conf.task_queues = tuple(Queue(name) for name in ("default", *INFERENCE_QUEUES, "training"))
app.conf.task_default_queue = "default"
# Routes are CELERY_TASK_ROUTES: inference tasks by their model's queue, then the routes the
# verticals declare (config/settings/verticals.py).
# Task and result payloads (prompts, note text, generated text) are encrypted in the broker and
# the result backend (apps.privacy.queue_serializer).
register_encrypted_json()
app.conf.task_serializer = app.conf.result_serializer = ENCRYPTED_JSON
app.conf.accept_content = app.conf.result_accept_content = [ENCRYPTED_JSON]
app.autodiscover_tasks()
