"""Celery: broker, results, time limits, the platform's beat schedule; notifications and jobs.

The verticals' beat entries and task routes come from their declarations
(config/settings/verticals.py).
"""

from datetime import timedelta

from celery.schedules import crontab

from .core import REDIS_URL, env
from .security import AUDIT_ANCHOR_SECONDS, AUDIT_CHECKPOINT_MINUTES

# ---------------------------------------------------------------------------- celery
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = REDIS_URL or "cache+memory://"
# No broker configured: run tasks in-process (the zero-setup default).
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = False
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_RESULT_EXPIRES = timedelta(days=1)
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=30 * 60)
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=35 * 60)
# One visibility timeout for broker and result backend, longer than the hard time limit, so a
# task still running is never redelivered to a second worker.
CELERY_VISIBILITY_TIMEOUT = env.int("CELERY_VISIBILITY_TIMEOUT", default=60 * 60)
# A dead worker's unacknowledged messages go back to the queue once they are older than the
# visibility timeout, but only when a worker sweeps for them: kombu's default sweep runs every
# 10 x 10 s, so with a short timeout a message waited up to 100 s more (tests/fault showed it).
# Sweep a few times per timeout, at most every 10 s (one cheap ZRANGE each).
CELERY_UNACKED_RESTORE_S = env.int(
    "CELERY_UNACKED_RESTORE_S", default=max(1, min(10, CELERY_VISIBILITY_TIMEOUT // 4))
)
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": CELERY_VISIBILITY_TIMEOUT,
    "unacked_restore_interval": CELERY_UNACKED_RESTORE_S,
    "unacked_restore_throttle": 1,
}
CELERY_RESULT_BACKEND_TRANSPORT_OPTIONS = {"visibility_timeout": CELERY_VISIBILITY_TIMEOUT}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
# Inference tasks by their model's queue (models_runtime/routing.py); the verticals' routes
# follow (a vertical's LoRA training on `training`, off the queues of live traffic).
CELERY_TASK_ROUTES = ["models_runtime.routing.route_task"]
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_BEAT_SCHEDULE = {
    "audit-checkpoint": {
        "task": "apps.audit.tasks.audit_checkpoint_task",
        "schedule": timedelta(minutes=AUDIT_CHECKPOINT_MINUTES),
    },
    # Retention: one job per tenant deletes what is past its period (daily, 03:30 UTC).
    "privacy-retention": {
        "task": "apps.privacy.lifecycle.tasks.privacy_retention_scheduled_task",
        "schedule": crontab(minute=30, hour=3),
    },
    # Checkpoint and anchor outside the database every AUDIT_ANCHOR_SECONDS.
    "audit-anchor": {
        "task": "apps.audit.tasks.audit_anchor_task",
        "schedule": timedelta(seconds=AUDIT_ANCHOR_SECONDS),
    },
}
# Notifications (apps/notifications): webhook hosts the platform admin allows, the window in
# which the same (tenant, topic, key) is sent once, and the webhook time-out.
NOTIFICATIONS_ALLOWED_HOSTS = env.list("NOTIFICATIONS_ALLOWED_HOSTS", default=["127.0.0.1"])
NOTIFICATIONS_DEDUP_S = env.int("NOTIFICATIONS_DEDUP_S", default=3600)
NOTIFICATIONS_TIMEOUT_S = env.float("NOTIFICATIONS_TIMEOUT_S", default=5.0)
JOB_MAX_RETRIES = env.int("JOB_MAX_RETRIES", default=3)
