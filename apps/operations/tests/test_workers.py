"""The console's service health against real processes: Redis queue depths that a worker
drains, and each live worker's queues, pool and loaded models with their device, answered by
the ``operations_status`` inspect command inside the worker."""

from __future__ import annotations

import time

import pytest

from apps.operations.health import queue_depths, services_health
from config.celery import app as celery_app
from tests.workers import celery_worker, real_broker

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def _wait(predicate, timeout: float = 60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.3)
    raise AssertionError("condition not met in time")


def test_workers_queues_and_models_are_reported():
    with real_broker(celery_app):
        celery_app.control.purge()  # nothing left over from an earlier test in this Redis db
        before = services_health()
        assert before["workers"] == []
        assert before["queues_without_worker"] == [
            "default",
            "inference.chat",
            "inference.embed",
            "inference.classify",
            "training",
        ]
        # Three messages wait in `default` until a worker for it starts, then drain.
        for _ in range(3):
            celery_app.send_task("celery.accumulate", args=[1], queue="default")
        assert queue_depths()["queues"]["default"] == 3

        with (
            celery_worker("default"),
            celery_worker("inference", pool="threads", concurrency=4, MODELS_RUNTIME_WARM="embed"),
        ):
            _wait(lambda: queue_depths()["queues"]["default"] == 0)
            health = _wait(lambda: (h := services_health()) and len(h["workers"]) == 2 and h)
    by_queue = {tuple(sorted(w["queues"])): w for w in health["workers"]}
    inference_queues = ("inference.chat", "inference.classify", "inference.embed", "training")
    assert set(by_queue) == {("default",), inference_queues}
    assert health["queues_without_worker"] == []
    assert health["database"]["ok"] and health["broker"]["ok"]
    default, inference = by_queue[("default",)], by_queue[inference_queues]
    assert default["pool"] == "solo" and default["models"] == []
    assert default["processed"] >= 3  # it ran the three waiting messages
    assert inference["pool"] == "thread" and inference["concurrency"] == 4
    models = {m["name"]: m for m in inference["models"]}
    assert models["embed"]["loaded"] is True and models["embed"]["device"] == "cpu"
    assert models["chat"]["loaded"] is False
