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


def test_raw_continuous_replay_answers_every_arrival_with_its_length(tmp_path):
    """The raw path on a tiny Llama: each arrival added at its time, every row its length."""
    from transformers.generation.configuration_utils import ContinuousBatchingConfig

    from benchmarks.inference.arrivals import replay_raw_continuous
    from benchmarks.inference.raw import RawChat
    from models_runtime.specs import spec_from_dict
    from models_runtime.testing import build_tiny_llama

    folder = build_tiny_llama(tmp_path / "tiny")
    raw = RawChat(spec_from_dict("tiny", {"task": "chat", "source": str(folder)}))
    trace = make_trace(20.0, 5, lengths=(2, 4, 8))
    config = ContinuousBatchingConfig(
        page_size=64, num_blocks=16, max_batch_tokens=256, max_requests_per_batch=4
    )
    replay = replay_raw_continuous(raw, trace, 1, config)
    assert not replay.errors
    assert replay.tokens == sum(a.new_tokens for a in trace)
    assert len(replay.latency_s) == len(replay.ttft_s) == 5
    assert all(0 < t <= lat for t, lat in zip(replay.ttft_s, replay.latency_s, strict=True))


def test_the_report_holds_the_ratios():
    from benchmarks.inference.arrivals import Replay
    from benchmarks.inference.arrivals_run import _report
    from benchmarks.inference.report import machine

    trace = make_trace(1.0, 4, lengths=(2,))

    def replay(path, latency, tokens_per_s):
        r = Replay(path, ttft_s=[0.1] * 4, latency_s=[latency] * 4, tokens=8)
        r.span_s = 8 / tokens_per_s
        return r

    replays = {
        "raw": replay("raw", 1.0, 4.0),
        "platform": replay("platform", 1.0, 3.8),
        "static": replay("static", 4.0, 3.0),
    }
    lines, report = _report(trace, replays, 2.0, (2,), machine())
    assert report["platform_over_raw"] == 0.95
    assert report["latency_p50_over_static"] == 0.25
    assert report["ttft_p50_ms"] == 100.0
    assert len(lines) == 5
