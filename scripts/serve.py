"""The processes of `make run`, supervised: scripts/run.sh seeds the demo, then execs this.

It starts the demo shop's order API, the web server (gunicorn) and, with REDIS_URL, the Celery
workers and beat; prints the banner only once ``/readyz`` answers 200 and the default models are
warm in the processes that serve them (each web worker loads and runs them once in the
in-process mode; with Redis the inference worker loads them before it answers the readiness
check's broadcast), so the first request pays no load; and on Ctrl-C (or
SIGTERM) stops every process it started within a few seconds, quietly, with exit status 0.

Each child runs in a process group of its own, so a terminal's Ctrl-C reaches this supervisor
alone, which then stops each child the way it stops fastest and quietly (gunicorn: SIGINT, its
quick shutdown; the Celery workers: SIGQUIT, their cold shutdown (an unfinished task is
redelivered: acks are late); beat and the rest: SIGTERM), and kills a group still there after
``STOP_WITHIN_S``. Standard library only: it runs before anything is imported from the project.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

STOP_WITHIN_S = 2.5
READY_TIMEOUT_S = float(os.environ.get("RUN_READY_TIMEOUT_S", "600"))
WARM_TIMEOUT_S = float(os.environ.get("RUN_WARM_TIMEOUT_S", "300"))
BIN = Path(".venv/bin")


class Stop(Exception):
    """A stop signal arrived (Ctrl-C, SIGTERM, SIGHUP)."""


class Supervisor:
    def __init__(self):
        self.children: list[tuple[str, subprocess.Popen, int]] = []

    def start(self, name: str, argv: list[str], *, log: Path | None = None, stop_with=None):
        output = open(log, "ab") if log else None  # noqa: SIM115 (the child keeps it)
        child = subprocess.Popen(
            argv,
            stdout=output,
            stderr=subprocess.STDOUT if output else None,
            stdin=subprocess.DEVNULL,
            process_group=0,  # not in the terminal's foreground group: Ctrl-C is ours to relay
        )
        if output:
            output.close()
        self.children.append((name, child, stop_with or signal.SIGTERM))
        return child

    def exited(self) -> tuple[str, int] | None:
        for name, child, _ in self.children:
            if child.poll() is not None:
                return name, child.returncode
        return None

    def stop(self) -> None:
        for _, child, how in self.children:
            with contextlib.suppress(ProcessLookupError):
                child.send_signal(how)
        deadline = time.monotonic() + STOP_WITHIN_S
        while time.monotonic() < deadline and any(c.poll() is None for _, c, _ in self.children):
            time.sleep(0.05)
        # Every group at once: a child's own children (prefork pool processes) go with it.
        for _, child, _ in self.children:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(child.pid, signal.SIGKILL)
        for _, child, _ in self.children:
            with contextlib.suppress(subprocess.TimeoutExpired):
                child.wait(timeout=1)


def _on_signal(signum, frame):
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, signal.SIG_IGN)  # a second Ctrl-C while stopping changes nothing
    raise Stop


def take_terminal():
    """Hold the terminal in a process group of our own, as a shell does for a foreground job:
    a Ctrl-C then reaches this process alone, not `make` above it, which would otherwise
    report the interrupt and exit 130 however cleanly everything stopped. Returns what
    ``give_back_terminal`` needs, or None without a terminal (a test, a pipe, a service)."""
    try:
        fd = os.open("/dev/tty", os.O_RDWR | os.O_NOCTTY)
    except OSError:
        return None
    try:
        previous = os.getpgrp()
        if os.tcgetpgrp(fd) != previous:  # started in the background: leave the terminal be
            os.close(fd)
            return None
        os.setpgid(0, 0)
        _set_foreground(fd, os.getpgrp())
    except OSError:
        os.close(fd)
        return None
    return fd, previous


def _set_foreground(fd: int, group: int) -> None:
    old = signal.signal(signal.SIGTTOU, signal.SIG_IGN)  # a background group may not otherwise
    try:
        os.tcsetpgrp(fd, group)
    finally:
        signal.signal(signal.SIGTTOU, old)


def give_back_terminal(held) -> None:
    if held is None:
        return
    fd, previous = held
    with contextlib.suppress(OSError):
        _set_foreground(fd, previous)
    os.close(fd)


def wait_until_ready(url: str, supervisor: Supervisor) -> None:
    """Poll ``/readyz`` until it answers 200 (503 while, for example, no worker consumes the
    inference queues yet)."""
    deadline = time.monotonic() + READY_TIMEOUT_S
    while time.monotonic() < deadline:
        _fail_if_a_child_exited(supervisor)
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.25)
    raise SystemExit(f"{url} did not answer 200 within {READY_TIMEOUT_S:.0f} s; stopping")


def wait_until_warm(markers: Path, expected: int, supervisor: Supervisor) -> bool:
    """Each web worker leaves a file in ``markers`` once its models are warm
    (config/gunicorn_conf.py). False when they are not warm within WARM_TIMEOUT_S."""
    deadline = time.monotonic() + WARM_TIMEOUT_S
    while time.monotonic() < deadline:
        _fail_if_a_child_exited(supervisor)
        if len(list(markers.glob("*"))) >= expected:
            return True
        time.sleep(0.25)
    return False


def _fail_if_a_child_exited(supervisor: Supervisor) -> None:
    gone = supervisor.exited()
    if gone:
        raise SystemExit(f"{gone[0]} exited with status {gone[1]} before the platform was ready")


def start_processes(supervisor: Supervisor, env: dict) -> None:
    host, port = env["HOST"], env["PORT"]
    supervisor.start(
        "order API",
        [str(BIN / "python"), "-m", "apps.customer_service.demo.order_api", "--port",
         env.get("CUSTOMER_SERVICE_DEMO_ORDER_API_PORT", "8765")],
    )  # fmt: skip
    if env.get("REDIS_URL"):
        log = Path(env["RUN_VAR"], "log")
        log.mkdir(parents=True, exist_ok=True)
        celery = [str(BIN / "celery"), "-A", "config"]
        supervisor.start(
            "default worker",
            [*celery, "worker", "-Q", "default", "-n", "default@%h", "--loglevel", "INFO"],
            log=log / "worker-default.log",
            stop_with=signal.SIGQUIT,  # Celery's cold shutdown: now, not after running tasks
        )
        # One inference worker on every model queue (the pools of docker-compose.yml, on one
        # machine): threads feed one batcher per model; it loads the warm models
        # (MODELS_RUNTIME_WARM) before it answers the readiness check's broadcast.
        supervisor.start(
            "inference worker",
            [*celery, "worker", "-Q", "inference.chat,inference.embed,inference.classify,training",
             "-n", "inference@%h", "-P", "threads", "-c", "64", "--loglevel", "INFO"],
            log=log / "worker-inference.log",
            stop_with=signal.SIGQUIT,
        )  # fmt: skip
        schedule = str(Path(env["RUN_VAR"], "celerybeat-schedule"))
        supervisor.start(
            "beat",
            [*celery, "beat", "--loglevel", "INFO", "--schedule", schedule],
            log=log / "beat.log",
        )
    # gthread workers: a streamed response (server-sent events) holds a thread, not the process.
    # config/gunicorn_conf.py: an access log without query strings (they carry personal data),
    # the warm-up of each worker's models, and a quick, quiet exit on SIGINT.
    supervisor.start(
        "web server",
        [str(BIN / "gunicorn"), "config.wsgi:application", "-c", "config/gunicorn_conf.py",
         "--bind", f"{host}:{port}", "--worker-class", "gthread",
         "--workers", env["WEB_WORKERS"], "--threads", env.get("WEB_THREADS", "8"),
         "--timeout", "120", "--access-logfile", "-", "--no-control-socket"],
        stop_with=signal.SIGINT,
    )  # fmt: skip


def main() -> int:
    env = os.environ
    markers = Path(env["WEB_WARM_MARKERS"])
    markers.mkdir(parents=True, exist_ok=True)
    for stale in markers.glob("*"):
        stale.unlink()
    supervisor = Supervisor()
    held = take_terminal()
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, _on_signal)
    try:
        start_processes(supervisor, env)
        wait_until_ready(f"http://{env['HOST']}:{env['PORT']}/readyz", supervisor)
        warm = bool(env.get("REDIS_URL")) or wait_until_warm(
            markers, int(env["WEB_WORKERS"]), supervisor
        )
        print(env.get("RUN_BANNER", "ready"), flush=True)
        if not warm:
            print(" (the models are still loading: the first request may wait for them)")
        print(" Ctrl-C stops everything.", flush=True)
        while True:
            _fail_if_a_child_exited(supervisor)
            time.sleep(0.5)
    except Stop:
        supervisor.stop()
        print("\nStopped.", flush=True)
        return 0
    except SystemExit as problem:
        supervisor.stop()
        print(problem, file=sys.stderr, flush=True)
        return 1
    finally:
        give_back_terminal(held)


if __name__ == "__main__":
    sys.exit(main())
