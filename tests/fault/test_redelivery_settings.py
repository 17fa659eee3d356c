"""A dead worker's messages come back within the visibility timeout plus a sweep period: workers
sweep for them several times per timeout (kombu's default was once per 100 s)."""

from django.conf import settings

from config.celery import app


def test_workers_sweep_for_abandoned_messages_several_times_per_timeout():
    options = app.conf.broker_transport_options
    period = options["unacked_restore_interval"] * options["unacked_restore_throttle"]
    assert period <= max(1, settings.CELERY_VISIBILITY_TIMEOUT // 4)
    assert period <= 10
