"""Start and stop the platform's processes for a benchmark: the web server and an inference worker.

Each runs in its own session (process group) with its output in a log file; stopping sends
SIGTERM to that group, then SIGKILL after a grace period. Children also get SIGTERM if this
process dies first (Linux ``PR_SET_PDEATHSIG``), so a killed benchmark leaves nothing behind.
"""

from __future__ import annotations

import ctypes
import http.client
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Mapping
from pathlib import Path

from models_runtime.routing import INFERENCE_QUEUES

PR_SET_PDEATHSIG = 1


class ProcessFailed(RuntimeError):
    """A process exited or did not become ready; the message ends with its log's tail."""


def _die_with_parent() -> None:  # runs in the child between fork and exec
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    except OSError:
        pass


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class ManagedProcess:
    def __init__(self, name: str, argv: list[str], env: Mapping[str, str], log: Path, cwd: Path):
        self.name, self.argv, self.log = name, argv, log
        with open(log, "wb") as out:
            self.proc = subprocess.Popen(
                argv,
                cwd=cwd,
                env=dict(env),
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                preexec_fn=_die_with_parent if sys.platform.startswith("linux") else None,
            )

    @property
    def pid(self) -> int:
        return self.proc.pid

    def alive(self) -> bool:
        return self.proc.poll() is None

    def log_tail(self, chars: int = 4000) -> str:
        try:
            return self.log.read_text(errors="replace")[-chars:]
        except OSError as exc:
            return f"(cannot read {self.log}: {exc})"

    def failure(self, what: str) -> ProcessFailed:
        state = "running" if self.alive() else f"exited with {self.proc.returncode}"
        return ProcessFailed(
            f"{self.name} {what} ({state}; log {self.log}):\n{self.log_tail()}".rstrip()
        )

    def wait_until(self, ready: Callable[[], bool], timeout_s: float, what: str) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if not self.alive():
                raise self.failure("exited before it was ready")
            try:
                if ready():
                    return
            except Exception:  # noqa: BLE001 - not ready yet, whatever the reason
                pass
            time.sleep(0.3)
        raise self.failure(f"was not {what} after {timeout_s:.0f}s")

    def stop(self, grace_s: float = 20) -> None:
        """SIGTERM to the process group, SIGKILL if it has not exited after ``grace_s``."""
        if self.proc.poll() is not None:
            return
        for sig, wait_s in ((signal.SIGTERM, grace_s), (signal.SIGKILL, 10)):
            try:
                os.killpg(self.proc.pid, sig)
            except ProcessLookupError:
                return
            try:
                self.proc.wait(timeout=wait_s)
                break
            except subprocess.TimeoutExpired:
                continue
        try:  # the group may hold children that outlived the leader (gunicorn's workers)
            os.killpg(self.proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass


def platform_env(*, max_batch_size: int | None, settings_module: str) -> dict[str, str]:
    """The environment of the web and worker processes: this one's, plus the platform's own."""
    env = dict(os.environ)
    env.pop("MODELS_RUNTIME_MAX_BATCH_SIZE", None)
    env.update(
        DJANGO_SETTINGS_MODULE=settings_module,
        DJANGO_DEBUG="false",
        DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost",
        HF_HUB_OFFLINE=env.get("HF_HUB_OFFLINE", "1"),
        PYTHONUNBUFFERED="1",
    )
    # Callers wait for their answer however long the queue ahead of them is (16 chat requests
    # one after another take minutes with batching off): the benchmark measures throughput.
    env.setdefault("INFERENCE_TIMEOUT_S", "900")
    if max_batch_size is not None:
        env["MODELS_RUNTIME_MAX_BATCH_SIZE"] = str(max_batch_size)
    return env


def start_web(
    env: Mapping[str, str], log_dir: Path, cwd: Path, *, workers: int = 1, threads: int = 64
) -> tuple[ManagedProcess, int]:
    """gunicorn with ``workers`` gthread workers of ``threads`` threads (one of 64 unless a
    benchmark asks otherwise) on a free port; waits for /healthz = 200."""
    port = free_port()
    argv = [
        sys.executable,
        "-m",
        "gunicorn",
        "config.wsgi:application",
        "--worker-class",
        "gthread",
        "--workers",
        str(workers),
        "--threads",
        str(threads),
        "--bind",
        f"127.0.0.1:{port}",
    ]
    web = ManagedProcess("web server (gunicorn)", argv, env, log_dir / "web.log", cwd)

    def healthy() -> bool:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
        try:
            conn.request("GET", "/healthz")
            return conn.getresponse().status == 200
        finally:
            conn.close()

    try:
        web.wait_until(healthy, 90, "answering GET /healthz with 200")
    except BaseException:
        web.stop()
        raise
    return web, port


def start_worker(
    env: Mapping[str, str], log_dir: Path, cwd: Path, label: str, celery_app
) -> ManagedProcess:
    """The inference worker (threads pool, 64 threads) on every inference queue, as on a single
    machine; waits until it answers a ping."""
    node = f"bench-{label}-{uuid.uuid4().hex[:8]}"
    argv = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "config",
        "worker",
        "-Q",
        ",".join(INFERENCE_QUEUES),
        "-P",
        "threads",
        "-c",
        "64",
        "-n",
        f"{node}@%h",
        "--without-gossip",
        "--without-mingle",
        "--without-heartbeat",
        "--loglevel",
        "WARNING",
    ]
    worker = ManagedProcess(
        f"inference worker ({label})", argv, env, log_dir / f"worker-{label}.log", cwd
    )
    worker.node = node

    def answers_ping() -> bool:
        replies = celery_app.control.ping(timeout=1.0) or []
        return any(name.startswith(f"{node}@") for reply in replies for name in reply)

    try:
        worker.wait_until(answers_ping, 180, "answering a Celery ping")
    except BaseException:
        worker.stop()
        raise
    return worker


def start_default_worker(
    env: Mapping[str, str], log_dir: Path, cwd: Path, label: str, celery_app
) -> ManagedProcess:
    """A ``default``-queue worker (solo pool) for a benchmark's jobs; waits until it answers a
    ping, and refuses to measure when other workers on this broker consume the same queue."""
    node = f"bench-{label}-{uuid.uuid4().hex[:8]}"
    argv = [sys.executable, "-m", "celery", "-A", "config", "worker", "-Q", "default"]
    argv += ["-P", "solo", "-n", f"{node}@%h", "--without-gossip", "--without-mingle"]
    argv += ["--without-heartbeat", "--loglevel", "WARNING"]
    worker = ManagedProcess("default worker", argv, env, log_dir / "worker.log", cwd)
    worker.node = node

    def answers_ping() -> bool:
        replies = celery_app.control.ping(timeout=1.0) or []
        return any(name.startswith(f"{node}@") for reply in replies for name in reply)

    try:
        worker.wait_until(answers_ping, 180, "answering a Celery ping")
        foreign = foreign_consumers(celery_app, node, "default")
        if foreign:
            raise RuntimeError(
                "other workers consume the default queue on this Redis database "
                f"({', '.join(foreign)}): give the benchmark a Redis database of its own"
            )
    except BaseException:
        worker.stop()
        raise
    return worker


def foreign_consumers(celery_app, own_node: str, queue: str) -> list[str]:
    """Other workers on this broker that consume ``queue`` (they would take the tasks)."""
    replies = celery_app.control.inspect(timeout=1.5).active_queues() or {}
    return sorted(
        name
        for name, queues in replies.items()
        if not name.startswith(f"{own_node}@") and any(q.get("name") == queue for q in queues or [])
    )


def foreign_inference_consumers(celery_app, own_node: str) -> list[str]:
    """Other workers on this broker that consume an inference queue."""
    replies = celery_app.control.inspect(timeout=1.5).active_queues() or {}
    return sorted(
        name
        for name, queues in replies.items()
        if not name.startswith(f"{own_node}@")
        and any(q.get("name") in INFERENCE_QUEUES for q in queues or [])
    )


def purge_inference_queue(celery_app) -> int:
    """Drop messages a crashed earlier run may have left in the inference queues."""
    with celery_app.connection_for_write() as conn:
        return sum(conn.default_channel.queue_purge(q) or 0 for q in INFERENCE_QUEUES)
