"""The harness's own parts, without models or a platform: plans, inputs, summaries, the
synthetic graph, the process starter and the benchmark lock."""

from __future__ import annotations

import os
import sys
import time

import psutil
import pytest

from benchmarks.harness import processes, session, smoke
from benchmarks.inference import report, workloads
from benchmarks.knowledge.synthetic import synthetic_csv


def test_a_plan_narrows_to_named_workloads_and_refuses_unknown_ones():
    plan = workloads.FULL.only(["embed"])
    assert list(plan.rounds) == ["embed"]
    with pytest.raises(ValueError, match="unknown workload"):
        workloads.FULL.only(["nope"])


def test_scaling_keeps_at_least_one_round_and_leaves_skipped_measures_off():
    plan = workloads.SMOKE.scaled(0.01)
    assert plan.rounds["chat"].raw == 1 and plan.rounds["chat"].platform == 1
    assert plan.rounds["embed_batched"].naive == 0
    assert workloads.FULL.scaled(2).rounds["embed"].raw == 160


def test_every_request_carries_inputs_no_other_request_carries():
    inputs = workloads.Inputs(nonce=12345)
    embed = next(w for w in workloads.WORKLOADS if w.name == "embed_batched")
    seen = [
        text
        for phase in ("raw", "platform", "naive")
        for round_ in range(2)
        for client in range(embed.clients)
        for text in inputs.texts(embed, phase, round_, client)
    ]
    assert len(seen) == len(set(seen)) == 3 * 2 * embed.clients * embed.texts_per_request
    # The raw path computes the same inputs the clients send.
    assert inputs.raw_batches(embed, "raw", 1)[3] == inputs.texts(embed, "raw", 1, 3)


def test_summaries_and_ratios():
    assert report.percentile([1.0, 2.0, 3.0, 4.0], 0.5) == 2.5
    fast = report.Summary("platform", 4, 8, 80, 2.0, 40.0, 1, 2, 3, 4.0, {"bench": 1.0})
    slow = report.Summary("raw", 4, 8, 40, 2.0, 20.0, 1, 2, 3, 4.0, {"bench": 0.5})
    assert report.ratio(fast, slow) == 2.0
    assert report.ratio(fast, None) is None
    assert fast.per_core == 40.0 and slow.per_core == 40.0


def test_the_synthetic_graph_is_reproducible_and_has_distinct_edges():
    files, keys = synthetic_csv(50, 120, seed=3)
    again, _ = synthetic_csv(50, 120, seed=3)
    assert files == again and len(keys) == 50
    edges = files["edges.csv"].splitlines()[1:]
    identities = {tuple(line.split(",")[:3]) for line in edges}
    assert len(edges) == len(identities) == 120
    assert all(source != target for source, target, _ in identities)


def test_the_platform_environment_sets_the_batch_size_only_when_asked(monkeypatch):
    monkeypatch.setenv("MODELS_RUNTIME_MAX_BATCH_SIZE", "7")
    batched = processes.platform_env(max_batch_size=None, settings_module="config.settings.local")
    naive = processes.platform_env(max_batch_size=1, settings_module="config.settings.local")
    assert "MODELS_RUNTIME_MAX_BATCH_SIZE" not in batched
    assert naive["MODELS_RUNTIME_MAX_BATCH_SIZE"] == "1"
    assert naive["DJANGO_SETTINGS_MODULE"] == "config.settings.local"


def running(pid: int) -> bool:
    """Alive and not a zombie (an orphan's exit status may wait for whoever adopted it)."""
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        try:
            if psutil.Process(pid).status() == psutil.STATUS_ZOMBIE:
                return False
        except psutil.NoSuchProcess:
            return False
        time.sleep(0.05)
    return True


def test_a_managed_process_is_stopped_with_its_children(tmp_path):
    # A shell that starts a child and waits: stopping the group must end both.
    script = f"{sys.executable} -c 'import time; time.sleep(60)' & echo $! > child.pid; wait"
    proc = processes.ManagedProcess(
        "sleeper", ["sh", "-c", script], os.environ, tmp_path / "sleeper.log", tmp_path
    )
    pid_file, deadline = tmp_path / "child.pid", time.monotonic() + 10
    # The shell creates the file before it writes the pid: wait for a whole line, not the file.
    while not (pid_file.exists() and pid_file.read_text().endswith("\n")):
        assert time.monotonic() < deadline, "the shell never wrote its child's pid"
        time.sleep(0.05)
    child = int(pid_file.read_text())
    assert proc.alive()
    proc.stop(grace_s=5)
    assert not proc.alive()
    assert not running(child)


def test_a_process_that_exits_early_fails_with_its_log(tmp_path):
    proc = processes.ManagedProcess(
        "quitter", ["sh", "-c", "echo broken; exit 3"], os.environ, tmp_path / "q.log", tmp_path
    )
    with pytest.raises(processes.ProcessFailed, match="broken"):
        proc.wait_until(lambda: False, 10, "ready")


def test_smoke_urls_point_at_another_database():
    url = "postgres://postgres@127.0.0.1:5432/platform"
    assert smoke.with_path(url, "/bench_smoke") == "postgres://postgres@127.0.0.1:5432/bench_smoke"


@pytest.mark.redis
def test_two_benchmarks_on_one_redis_database_take_turns():
    url = os.environ["REDIS_URL"]
    with session.exclusive(url):
        with pytest.raises(processes.ProcessFailed, match="held this Redis database"):
            with session.exclusive(url, wait_s=0.5):
                pass
    with session.exclusive(url, wait_s=0.5):  # released: the next one runs at once
        pass
