"""The run's exit watchdog (conftest.pytest_unconfigure): a thread left blocking after the run
must not hold pytest past its grace period, must be named in the log, and must not change the
run's status."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

LEFT_BEHIND = """
import threading, time

def test_leaves_a_thread_blocking():
    threading.Thread(target=time.sleep, args=(3600,), name="left-behind-{name}").start()
    assert {outcome}
"""


def _run(tmp_path, *, passing: bool):
    name = "green" if passing else "red"
    test = tmp_path / f"test_left_{name}.py"
    test.write_text(LEFT_BEHIND.format(name=name, outcome=passing))
    env = dict(os.environ, PYTEST_EXIT_GRACE_S="2", REQUIRE_ALL_TESTS="0")
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "conftest", "-p", "no:cacheprovider"]
        + ["-c", str(ROOT / "pyproject.toml"), "--rootdir", str(ROOT), str(test)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,  # without the watchdog the child would sleep an hour
    )


def test_a_thread_left_blocking_ends_with_the_runs_status_and_is_named(tmp_path):
    green = _run(tmp_path, passing=True)
    assert green.returncode == 0, green.stdout + green.stderr
    assert "left-behind-green daemon=False" in green.stderr
    assert "still running 2 s after the run ended" in green.stderr
    red = _run(tmp_path, passing=False)
    assert red.returncode == 1, red.stdout + red.stderr
    assert "left-behind-red daemon=False" in red.stderr
