"""The dynamic batcher, driven by a recording test double in place of a model.

Timing never decides a verdict: a gate holds the model's thread while requests pile up, so the
batches that follow are determined by the queue, not by the clock. ``WAIT`` only bounds how long a
broken batcher may hang a test.
"""

import threading
import time

import pytest

from models_runtime.batcher import DynamicBatcher, Outcome, is_out_of_memory
from models_runtime.errors import BackendError, InvalidInput, QueueFull, RequestTimeout

WAIT = 30
PACE = 0.3  # seconds between arrivals in the adaptive-wait tests: far above scheduling jitter


class RecordingBackend:
    """Doubles each number; records every batch; can be held at a gate or made to fail."""

    def __init__(self, oom_above=None, fail_on=None):
        self.batches = []
        self.gate = threading.Event()
        self.gate.set()
        self.entered = threading.Event()
        self.oom_above = oom_above
        self.fail_on = fail_on

    def hold(self):
        self.gate.clear()

    def release(self):
        self.gate.set()

    def run_batch(self, payloads):
        self.entered.set()
        self.gate.wait(WAIT)
        if self.oom_above is not None and len(payloads) > self.oom_above:
            raise RuntimeError("CUDA out of memory. Tried to allocate 2.00 GiB")
        if self.fail_on is not None and self.fail_on in payloads:
            raise ValueError(f"cannot process {self.fail_on}")
        self.batches.append(list(payloads))
        return [p * 2 for p in payloads]


def make(backend, **options):
    settings = dict(max_batch_size=4, max_batch_wait_ms=0, max_queue_depth=100)
    settings.update(options)
    return DynamicBatcher("fake", backend.run_batch, **settings)


def occupy(batcher, backend):
    """Hold the model's thread inside a batch of one, so later submissions queue up."""
    backend.hold()
    first = batcher.submit(-1)
    assert backend.entered.wait(WAIT)
    return first


def test_groups_up_to_max_batch_size():
    backend = RecordingBackend()
    batcher = make(backend, max_batch_size=4)
    first = occupy(batcher, backend)
    futures = [batcher.submit(i) for i in range(10)]
    backend.release()
    assert [f.result(WAIT).output for f in futures] == [i * 2 for i in range(10)]
    assert first.result(WAIT).batch_size == 1
    assert [len(b) for b in backend.batches] == [1, 4, 4, 2]
    assert [f.result().batch_size for f in futures] == [4] * 8 + [2] * 2
    assert batcher.snapshot()["batch_size_histogram"] == {1: 1, 2: 1, 4: 2}
    batcher.close()


def test_full_batch_does_not_wait_for_the_window():
    backend = RecordingBackend()
    # A window far beyond WAIT: only reaching max_batch_size can start these batches in time.
    batcher = make(backend, max_batch_size=3, max_batch_wait_ms=10 * WAIT * 1000)
    futures = [batcher.submit(i) for i in range(6)]
    assert [f.result(WAIT).output for f in futures] == [0, 2, 4, 6, 8, 10]
    assert [len(b) for b in backend.batches] == [3, 3]
    batcher.close()


def test_partial_batch_runs_when_the_wait_window_closes():
    backend = RecordingBackend()
    batcher = make(backend, max_batch_size=64, max_batch_wait_ms=300)
    first = occupy(batcher, backend)
    futures = [batcher.submit(i) for i in range(3)]  # all queued before the thread looks again
    backend.release()
    outcomes = [f.result(WAIT) for f in futures]
    assert first.result(WAIT).batch_size == 1  # nothing else was queued: the window closed on it
    assert [o.output for o in outcomes] == [0, 2, 4]
    assert [len(b) for b in backend.batches] == [1, 3]  # far below 64: flushed by the window
    assert all(o.batch_size == 3 and o.queue_ms >= 0 and o.compute_ms >= 0 for o in outcomes)
    batcher.close()


def test_requests_arriving_within_the_window_share_a_batch():
    backend = RecordingBackend()
    batcher = make(backend, max_batch_size=64, max_batch_wait_ms=10 * WAIT * 1000)
    first = occupy(batcher, backend)  # a batch of one, then others arrive while it runs,
    futures = []
    for i in (1, 2):  # at a pace of one per PACE seconds: the idle gap becomes 2 x PACE
        time.sleep(PACE)
        futures.append(batcher.submit(i))
    backend.release()
    first.result(WAIT)
    assert [f.result(WAIT).output for f in futures] == [2, 4]
    # Companions are expected now (the last batch held two): the next request waits for them
    # while they keep arriving at that pace.
    later = batcher.submit(3)
    time.sleep(PACE)  # a batcher that did not wait has run the request alone by now
    more = [batcher.submit(i) for i in (4, 5)]
    assert [f.result(WAIT).output for f in [later, *more]] == [6, 8, 10]
    assert [len(b) for b in backend.batches] == [1, 2, 3]
    batcher.close()


def test_a_lone_caller_waits_for_nobody():
    backend = RecordingBackend()
    # A window far beyond WAIT: a request that waited for it would fail the test by time-out.
    batcher = make(backend, max_batch_size=16, max_batch_wait_ms=10 * WAIT * 1000)
    for i in range(5):  # one caller: each request only after the previous answer
        outcome = batcher.submit(i).result(WAIT)
        assert outcome.output == i * 2 and outcome.batch_size == 1
    assert [len(b) for b in backend.batches] == [1] * 5
    batcher.close()


def test_lone_caller_after_a_busy_spell_stops_waiting():
    backend = RecordingBackend()
    batcher = make(backend, max_batch_size=16, max_batch_wait_ms=1000)
    first = occupy(batcher, backend)
    busy = [batcher.submit(i) for i in range(4)]
    backend.release()
    first.result(WAIT)
    [f.result(WAIT) for f in busy]
    # The first lone request after a batch of four waits for companions (at most the window);
    # from then on requests start at once.
    for i in range(3):
        assert batcher.submit(i).result(WAIT).batch_size == 1
    batcher.close()


def test_each_caller_gets_its_own_result_from_many_threads():
    backend = RecordingBackend()
    batcher = make(backend, max_batch_size=8, max_batch_wait_ms=5)
    results = {}

    def call(i):
        results[i] = batcher.submit(i).result(WAIT)

    threads = [threading.Thread(target=call, args=(i,)) for i in range(64)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(WAIT)
    assert {i: r.output for i, r in results.items()} == {i: i * 2 for i in range(64)}
    assert all(isinstance(r, Outcome) and r.model == "fake" for r in results.values())
    assert sum(len(b) for b in backend.batches) == 64
    assert max(len(b) for b in backend.batches) <= 8
    snapshot = batcher.snapshot()
    assert snapshot["completed"] == 64 and snapshot["queue_depth"] == 0
    batcher.close()


def test_queue_full_refuses_at_submit():
    backend = RecordingBackend()
    batcher = make(backend, max_batch_size=2, max_queue_depth=3)
    first = occupy(batcher, backend)
    queued = [batcher.submit(i) for i in range(3)]
    with pytest.raises(QueueFull) as caught:
        batcher.submit(99)
    assert caught.value.retry_after > 0
    assert "queue is full" in str(caught.value)
    backend.release()
    assert [f.result(WAIT).output for f in queued] == [0, 2, 4]
    assert first.result(WAIT).output == -2
    assert 99 not in sum(backend.batches, [])
    assert batcher.snapshot()["rejected_queue_full"] == 1
    assert batcher.submit(5).result(WAIT).output == 10  # room again
    batcher.close()


def test_out_of_memory_splits_the_batch_down_to_what_fits():
    backend = RecordingBackend(oom_above=2)
    batcher = make(backend, max_batch_size=8)
    first = occupy(batcher, backend)
    futures = [batcher.submit(i) for i in range(8)]
    backend.release()
    assert [f.result(WAIT).output for f in futures] == [i * 2 for i in range(8)]
    assert first.result(WAIT).output == -2
    assert [len(b) for b in backend.batches] == [1, 2, 2, 2, 2]
    assert {f.result().batch_size for f in futures} == {2}
    assert batcher.snapshot()["oom_splits"] == 3  # 8 -> 4 + 4 -> 2 + 2 + 2 + 2
    batcher.close()


def test_out_of_memory_for_one_request_fails_it_and_the_thread_lives_on():
    backend = RecordingBackend(oom_above=0)
    batcher = make(backend)
    with pytest.raises(BackendError, match="out of memory even for a single request"):
        batcher.submit(1).result(WAIT)
    backend.oom_above = None
    assert batcher.submit(2).result(WAIT).output == 4
    batcher.close()


def test_other_errors_fail_only_that_batch():
    backend = RecordingBackend(fail_on=13)
    batcher = make(backend, max_batch_size=2)
    first = occupy(batcher, backend)
    futures = [batcher.submit(i) for i in (12, 13, 14, 15)]
    backend.release()
    first.result(WAIT)
    for future in futures[:2]:
        with pytest.raises(BackendError, match="ValueError: cannot process 13"):
            future.result(WAIT)
    assert [f.result(WAIT).output for f in futures[2:]] == [28, 30]
    assert batcher.snapshot()["failed"] == 2
    batcher.close()


def test_request_past_its_deadline_is_not_computed():
    backend = RecordingBackend()
    batcher = make(backend)
    first = occupy(batcher, backend)
    late = batcher.submit(7, timeout_s=0.01)
    patient = batcher.submit(8, timeout_s=WAIT)
    time.sleep(0.05)  # the late request's deadline is now certainly behind us
    backend.release()
    with pytest.raises(RequestTimeout):
        late.result(WAIT)
    assert patient.result(WAIT).output == 16
    first.result(WAIT)
    assert 7 not in sum(backend.batches, [])
    assert batcher.snapshot()["timed_out"] == 1
    batcher.close()


def test_validation_refuses_before_queueing():
    def validate(payload):
        if payload < 0:
            raise InvalidInput("negative numbers are not accepted")

    backend = RecordingBackend()
    batcher = DynamicBatcher(
        "fake",
        backend.run_batch,
        max_batch_size=4,
        max_batch_wait_ms=0,
        max_queue_depth=4,
        validate=validate,
    )
    with pytest.raises(InvalidInput, match="negative"):
        batcher.submit(-5)
    assert batcher.snapshot()["submitted"] == 0
    assert batcher.submit(5).result(WAIT).output == 10
    batcher.close()


def test_backend_may_fail_single_requests():
    def run_batch(payloads):
        return [BackendError(f"no {p}") if p == 3 else p for p in payloads]

    batcher = DynamicBatcher(
        "fake", run_batch, max_batch_size=8, max_batch_wait_ms=50, max_queue_depth=8
    )
    futures = [batcher.submit(i) for i in range(5)]
    with pytest.raises(BackendError, match="no 3"):
        futures[3].result(WAIT)
    assert [futures[i].result(WAIT).output for i in (0, 1, 2, 4)] == [0, 1, 2, 4]
    batcher.close()


def test_cancelled_request_is_skipped():
    backend = RecordingBackend()
    batcher = make(backend)
    first = occupy(batcher, backend)
    cancelled = batcher.submit(21)
    kept = batcher.submit(22)
    assert cancelled.cancel()
    backend.release()
    assert kept.result(WAIT).output == 44
    first.result(WAIT)
    assert 21 not in sum(backend.batches, [])
    batcher.close()


def test_wrong_result_count_is_a_backend_error():
    batcher = DynamicBatcher(
        "fake", lambda payloads: [], max_batch_size=2, max_batch_wait_ms=0, max_queue_depth=2
    )
    with pytest.raises(BackendError, match="returned 0 results for 1 inputs"):
        batcher.submit(1).result(WAIT)
    batcher.close()


def test_is_out_of_memory():
    class OutOfMemoryError(RuntimeError):
        pass

    assert is_out_of_memory(RuntimeError("CUDA out of memory. Tried to allocate"))
    assert is_out_of_memory(OutOfMemoryError("whatever"))
    assert not is_out_of_memory(RuntimeError("shape mismatch"))
    assert not is_out_of_memory(ValueError("out of memory"))


def test_requests_handed_over_after_waiting_elsewhere_keep_their_arrival_time():
    """The chat scheduler hands held requests to its static lane with their arrival times: the
    window, which they have already waited out, does not start again, and their queue time
    counts from arrival."""
    backend = RecordingBackend()
    batcher = make(backend, max_batch_size=8, max_batch_wait_ms=10 * WAIT * 1000)
    batcher.expect_cohort(8)  # otherwise a pause in arrivals would start the batch anyway
    arrived = time.monotonic() - 10 * WAIT  # longer ago than the window
    (future,) = batcher.submit_many([3], [None], [arrived])
    outcome = future.result(WAIT)  # the window far beyond WAIT did not start again
    assert outcome.output == 6 and outcome.batch_size == 1
    assert outcome.queue_ms >= 10 * WAIT * 1000
    batcher.close()


def test_a_group_of_requests_is_queued_together_and_a_bad_one_fails_alone():
    def slow_validate(payload):
        # Validation takes long enough for a model thread that watched the queue per text to
        # have taken the first text alone (the old per-text submit did, under load).
        time.sleep(0.05)
        if payload < 0:
            raise InvalidInput("negative numbers are not accepted")

    backend = RecordingBackend()
    batcher = make(backend, max_batch_size=16, validate=slow_validate)
    refused_by_caller = InvalidInput("texts must be a non-empty list of strings")
    answers = batcher.submit_requests([[1, 2, 3], [4, -1], [5], refused_by_caller])
    assert isinstance(answers[1], InvalidInput)
    assert answers[3] is refused_by_caller  # an error the caller found keeps its place
    assert [[f.result(WAIT).output for f in answers[i]] for i in (0, 2)] == [[2, 4, 6], [10]]
    assert backend.batches == [[1, 2, 3, 5]]  # one batch, the refused request not in it
    assert batcher.snapshot()["submitted"] == 4
    batcher.close()


def test_a_full_queue_refuses_the_whole_group():
    backend = RecordingBackend()
    batcher = make(backend, max_queue_depth=3)
    first = occupy(batcher, backend)
    with pytest.raises(QueueFull):
        batcher.submit_requests([[1, 2], [3, 4]])
    assert batcher.queue_depth == 0
    backend.release()
    assert first.result(WAIT).output == -2
    batcher.close()


@pytest.mark.parametrize("backlog_starts_at_once", [True, False])
def test_requests_queued_during_a_batch_start_at_once_for_encoders(backlog_starts_at_once):
    backend = RecordingBackend()
    batcher = make(
        backend,
        max_batch_size=8,
        max_batch_wait_ms=10 * WAIT * 1000,
        backlog_starts_at_once=backlog_starts_at_once,
    )
    # A closed loop of eight callers has run: the wait policy expects eight companions.
    assert all(f.result(WAIT) for f in batcher.submit_many(list(range(8)), [None] * 8))
    backend.hold()
    backend.entered.clear()
    running = batcher.submit_many(list(range(8)), [None] * 8)  # full: starts at once
    assert backend.entered.wait(WAIT)
    later = batcher.submit_requests([[1], [2], [3]])  # three arrive while the model computes
    backend.release()
    assert all(f.result(WAIT) for f in running)
    if backlog_starts_at_once:  # the model is the bottleneck: its backlog starts now
        assert [f.result(WAIT).output for (f,) in later] == [2, 4, 6]
        assert [len(b) for b in backend.batches] == [8, 8, 3]
    else:  # generation keeps waiting for the cohort (up to the window)
        time.sleep(PACE)
        assert not any(f.done() for (f,) in later)
        assert [len(b) for b in backend.batches] == [8, 8]
    batcher.close()


def test_a_lone_caller_with_several_texts_waits_for_nobody():
    backend = RecordingBackend()
    # A window far beyond WAIT: a request that waited for it would fail the test by time-out.
    batcher = make(backend, max_batch_size=16, max_batch_wait_ms=10 * WAIT * 1000)
    for i in range(4):  # one caller, three texts a request: one arrival each time
        (futures,) = batcher.submit_requests([[i, i, i]])
        assert [f.result(WAIT).batch_size for f in futures] == [3, 3, 3]
    assert [len(b) for b in backend.batches] == [3] * 4
    batcher.close()


def test_what_is_left_of_a_backlog_after_a_full_batch_starts_at_once_too():
    backend = RecordingBackend()
    batcher = make(
        backend, max_batch_size=4, max_batch_wait_ms=10 * WAIT * 1000, backlog_starts_at_once=True
    )
    first = occupy(batcher, backend)
    later = [batcher.submit(i) for i in range(6)]  # six arrive while the model computes
    backend.release()
    first.result(WAIT)
    assert [f.result(WAIT).output for f in later] == [i * 2 for i in range(6)]
    assert [len(b) for b in backend.batches] == [1, 4, 2]
    batcher.close()


def grouped(backend):
    """Batches of one group each (payload // 100, as a LoRA adapter per tenant), with a window
    far beyond WAIT: a request that waited for it fails the test by time-out."""
    return make(
        backend, max_batch_size=16, max_batch_wait_ms=10 * WAIT * 1000, group_key=lambda p: p // 100
    )


def after_a_cohort_of_four(batcher, backend):
    """Group 1 (payloads 100-103) has just come four at a time; their outcomes."""
    first = occupy(batcher, backend)
    cohort = [batcher.submit(100 + i) for i in range(4)]
    backend.release()
    first.result(WAIT)
    return [f.result(WAIT) for f in cohort]


def test_each_group_waits_for_its_own_cohort_only():
    """With a group key (a LoRA adapter per tenant), a lone request of one group does not wait
    for the cohort another group's callers came in; that group's callers still do."""
    backend = RecordingBackend()
    batcher = grouped(backend)
    assert [outcome.batch_size for outcome in after_a_cohort_of_four(batcher, backend)] == [4] * 4
    # Group 2's lone caller starts at once (before: it waited the window for group 1's four).
    assert batcher.submit(200).result(WAIT).batch_size == 1
    # Group 1's next caller still waits for its companions, and they share its batch.
    lone = batcher.submit(100)
    time.sleep(PACE)
    assert not lone.done()
    companions = [batcher.submit(101 + i) for i in range(3)]
    assert lone.result(WAIT).batch_size == 4
    assert [f.result(WAIT).batch_size for f in companions] == [4] * 3
    batcher.close()


def test_an_announced_cohort_belongs_to_its_group():
    batcher = grouped(RecordingBackend())
    batcher.expect_cohort(4, group=None)  # the chat scheduler's saturated base model
    assert batcher.submit(300).result(WAIT).batch_size == 1  # another group: at once
    batcher.close()


def test_a_group_waiting_for_its_cohort_does_not_hold_up_another():
    backend = RecordingBackend()
    batcher = grouped(backend)
    after_a_cohort_of_four(batcher, backend)
    lone = batcher.submit(100)
    time.sleep(PACE)
    assert not lone.done()  # group 1 waits for its cohort of four...
    other = batcher.submit(200)
    # ...until another group queues behind it: then only a pause in arrivals starts it.
    assert lone.result(WAIT).batch_size == 1
    assert other.result(WAIT).batch_size == 1
    batcher.close()


def test_a_group_not_seen_for_a_while_is_forgotten(monkeypatch):
    """Adapter keys carry a version digest, so a promotion makes a new group: old ones must not
    stay remembered for ever (nor keep their cohort)."""
    import models_runtime.batcher as batcher_module

    monkeypatch.setattr(batcher_module, "COHORT_MEMORY_S", 0.0)
    backend = RecordingBackend()
    batcher = grouped(backend)
    after_a_cohort_of_four(batcher, backend)
    assert batcher.submit(200).result(WAIT).batch_size == 1  # group 2's batch prunes group 1
    assert batcher._cohorts == {}
    assert batcher.submit(100).result(WAIT).batch_size == 1  # no cohort left to wait for
    batcher.close()
