"""The Celery rules of docs/architecture.md, read from the configured app."""

from django.conf import settings

from apps.core.verticals import installed
from config.celery import app


def test_json_only_and_late_acks_with_prefetch_one():
    # JSON, encrypted in the broker and result backend (apps.privacy.queue_serializer).
    assert app.conf.task_serializer == "encrypted-json"
    assert app.conf.result_serializer == "encrypted-json"
    assert app.conf.accept_content == ["encrypted-json"]
    assert app.conf.task_acks_late is True
    assert app.conf.worker_prefetch_multiplier == 1
    assert app.conf.task_reject_on_worker_lost is True


def test_time_limits_and_one_visibility_timeout():
    assert 0 < app.conf.task_soft_time_limit < app.conf.task_time_limit
    broker = app.conf.broker_transport_options["visibility_timeout"]
    backend = app.conf.result_backend_transport_options["visibility_timeout"]
    assert broker == backend == settings.CELERY_VISIBILITY_TIMEOUT
    assert broker > app.conf.task_time_limit, "a running task must never be redelivered"


def test_queues_and_routes():
    from config.celery import INFERENCE_QUEUES
    from models_runtime import routing

    assert {q.name for q in app.conf.task_queues} == {
        "default",
        "inference.chat",
        "inference.embed",
        "inference.classify",
        "training",
    }
    assert INFERENCE_QUEUES == routing.INFERENCE_QUEUES
    assert app.conf.task_default_queue == "default"

    def queue(name, **kwargs):
        return app.amqp.router.route({}, name, kwargs=kwargs)["queue"].name

    infer = "models_runtime.tasks.infer_task"
    assert queue(infer, model="chat", kind="chat") == "inference.chat"
    assert queue(infer, model="embed", kind="embed") == "inference.embed"
    assert queue("models_runtime.tasks.chat_job_task") == "inference.chat"
    assert queue("apps.audit.tasks.audit_verify_task") == "default"
    # Each vertical's declared routes (a glob of task names -> queue), after the runtime's.
    declared = [
        (vertical.path(pattern), target)
        for vertical in installed()
        for pattern, target in vertical.task_queues.items()
    ]
    assert declared, "no vertical declares a route: this check would prove nothing"
    for pattern, target in declared:
        assert queue(pattern.replace("*", "any_task")) == target
        assert target in {q.name for q in app.conf.task_queues}


def test_beat_schedule_holds_every_declared_entry():
    """The platform's entries and each vertical's, with the vertical's task made absolute."""
    assert {"audit-checkpoint", "audit-anchor", "privacy-retention"} <= set(
        settings.CELERY_BEAT_SCHEDULE
    )
    for vertical in installed():
        for name, entry in vertical.beat_schedule.items():
            assert settings.CELERY_BEAT_SCHEDULE[name]["task"] == vertical.path(entry.task)
            assert settings.CELERY_BEAT_SCHEDULE[name]["task"] in app.tasks


def test_audit_checkpoint_is_scheduled_and_registered():
    schedule = settings.CELERY_BEAT_SCHEDULE["audit-checkpoint"]
    assert schedule["task"] in app.tasks
