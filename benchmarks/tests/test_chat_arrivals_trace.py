"""The chat_arrivals trace: seeded, Poisson at the asked rate, lengths from the mix; and the
plan's --only knows it."""

from __future__ import annotations

import statistics

import pytest

from benchmarks.inference.arrivals import LENGTHS, make_trace
from benchmarks.inference.workloads import FULL, SMOKE


def test_the_trace_is_seeded_and_poisson_at_the_rate():
    trace = make_trace(2.0, 2000)
    assert trace == make_trace(2.0, 2000)  # the same trace on every run
    assert trace != make_trace(2.0, 2000, seed=24)
    gaps = [b.at_s - a.at_s for a, b in zip(trace, trace[1:], strict=False)]
    assert all(gap >= 0 for gap in gaps)
    assert statistics.mean(gaps) == pytest.approx(0.5, rel=0.1)
    assert statistics.stdev(gaps) == pytest.approx(0.5, rel=0.15)  # exponential: sd = mean
    assert {a.new_tokens for a in trace} == set(LENGTHS)
    assert len({a.prompt(1, "raw") for a in trace}) == len(trace)


def test_only_chat_arrivals_runs_just_the_trace():
    plan = FULL.only(["chat_arrivals"])
    assert plan.rounds == {} and plan.arrivals == FULL.arrivals > 0
    assert FULL.only(["chat"]).arrivals == 0
    assert SMOKE.arrivals > 0 and max(SMOKE.arrival_lengths) < min(FULL.arrival_lengths)
    with pytest.raises(ValueError, match="chat_arrivals"):
        FULL.only(["nope"])
