"""Backpressure reads a queue's length at most once per window in each process."""

from __future__ import annotations

import pytest

from models_runtime import admission, errors
from models_runtime.admission import QueueDepths


class Clock:
    def __init__(self):
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_queue_is_read_once_per_window_and_each_queue_on_its_own():
    lengths = {"inference.embed": 3, "inference.chat": 7}
    reads: list[str] = []

    def read(queue: str) -> int:
        reads.append(queue)
        return lengths[queue]

    clock = Clock()
    depths = QueueDepths(read, max_age_s=0.1, clock=clock)
    assert [depths.depth("inference.embed") for _ in range(50)] == [3] * 50
    assert depths.depth("inference.chat") == 7
    assert reads == ["inference.embed", "inference.chat"]

    lengths["inference.embed"] = 9  # grows within the window: the figure read stands
    clock.now += 0.05
    assert depths.depth("inference.embed") == 3
    clock.now += 0.06  # the window has passed: read again
    assert depths.depth("inference.embed") == 9
    assert reads == ["inference.embed", "inference.chat", "inference.embed"]


def test_backpressure_asks_the_broker_once_per_window_and_still_refuses(settings, monkeypatch):
    reads: list[str] = []
    full = {"inference.embed": settings.INFERENCE_MAX_QUEUED}

    def queued_requests(queue: str) -> int:
        reads.append(queue)
        return full.get(queue, 0)

    monkeypatch.setattr(admission, "in_process", lambda: False)
    monkeypatch.setattr(admission, "queued_requests", queued_requests)
    monkeypatch.setattr(
        admission, "_depths", QueueDepths(lambda q: admission.queued_requests(q), max_age_s=0.0)
    )
    settings.INFERENCE_QUEUE_DEPTH_MAX_AGE_S = 60
    for _ in range(20):
        assert admission.check_backpressure("chat") == "inference.chat"
    assert reads == ["inference.chat"]
    for _ in range(3):
        with pytest.raises(errors.QueueFull):
            admission.check_backpressure("embed")
    assert reads == ["inference.chat", "inference.embed"]

    settings.INFERENCE_QUEUE_DEPTH_MAX_AGE_S = 0  # off: every request reads
    admission.check_backpressure("chat")
    admission.check_backpressure("chat")
    assert reads[2:] == ["inference.chat", "inference.chat"]
