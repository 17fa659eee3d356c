"""The adaptive batching wait (arrivals.AdaptiveWait), on a fake clock: no timing decides here."""

import pytest

from models_runtime.arrivals import AdaptiveWait


def test_nothing_expected_at_start_and_for_a_lone_caller():
    wait = AdaptiveWait(max_wait_s=0.4)
    for t in (0.0, 2.0, 4.5):  # one caller: each request arrives after its answer
        wait.arrived(t, concurrent=False)
        assert not wait.companions_expected
        assert wait.flush_at(t) == t  # at once
        wait.taken(1)


def test_concurrent_arrivals_make_the_batch_wait_until_they_pause():
    wait = AdaptiveWait(max_wait_s=0.4)
    wait.arrived(0.0, concurrent=False)
    for i in range(1, 8):  # the web tier hands over one request every 10 ms
        wait.arrived(i * 0.010, concurrent=True)
    assert wait.companions_expected
    assert abs(wait.idle_gap - 0.020) < 1e-9  # twice the 95th percentile of the gaps
    assert abs(wait.flush_at(0.0) - (0.070 + 0.020)) < 1e-9  # last arrival + idle gap
    wait.taken(8)
    # A closed loop: the callers come back together after their batch, the first of them to an
    # idle batcher; the previous batch of eight says companions are coming: until eight are
    # queued only the window ends the wait, then a pause in arrivals does.
    wait.arrived(5.0, concurrent=False)
    assert wait.companions_expected and wait.flush_at(5.0, queued=1) == 5.0 + 0.4
    for i in range(1, 8):
        wait.arrived(5.0 + i * 0.010, concurrent=True)
    assert wait.flush_at(5.0, queued=7) == 5.0 + 0.4
    assert abs(wait.flush_at(5.0, queued=8) - (5.070 + 0.020)) < 1e-9


def test_the_window_bounds_the_wait_and_the_idle_gap():
    wait = AdaptiveWait(max_wait_s=0.05)
    wait.arrived(0.0, concurrent=True)
    assert wait.idle_gap == 0.05  # no gap known yet: the whole window
    for i in range(1, 20):
        wait.arrived(i * 0.040, concurrent=True)  # steady arrivals, never a pause
    assert wait.idle_gap == 0.05
    assert wait.flush_at(0.0) == 0.05  # the oldest request waits no longer than the window
    assert AdaptiveWait(max_wait_s=0).flush_at(1.0) == 1.0


def test_after_a_busy_spell_a_lone_caller_waits_once():
    wait = AdaptiveWait(max_wait_s=0.4)
    for i in range(4):
        wait.arrived(i * 0.001, concurrent=i > 0)
    wait.taken(4)
    wait.arrived(10.0, concurrent=False)  # only one caller is left
    assert wait.flush_at(10.0, queued=1) == 10.0 + 0.4  # once: the window, no longer
    wait.taken(1)
    wait.arrived(11.0, concurrent=False)
    assert wait.flush_at(11.0) == 11.0


def test_an_expected_cohort_is_gathered_whole_until_the_window():
    wait = AdaptiveWait(max_wait_s=0.4)
    wait.arrived(1.0, concurrent=True)
    wait.arrived(1.01, concurrent=True)  # companions 10 ms apart: a pause of 20 ms ends a wait
    assert wait.flush_at(1.0, queued=2) == pytest.approx(1.03)
    wait.expect(4)  # four callers are known to be coming back together
    assert wait.flush_at(1.0, queued=2) == pytest.approx(1.4)  # a pause does not end it
    assert wait.flush_at(1.0, queued=4) == pytest.approx(1.03)
