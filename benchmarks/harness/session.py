"""What a benchmark command does around its measurement: one run at a time per Redis database,
a migrated database, SIGTERM handled like Ctrl-C, and failures turned into a ``CommandError``
that says where the logs are kept."""

from __future__ import annotations

import os
import shutil
import signal
import sys
import tempfile
import threading
from contextlib import contextmanager
from pathlib import Path

import redis
from django.core.management import call_command
from django.core.management.base import CommandError

from benchmarks.harness.processes import ProcessFailed


@contextmanager
def exclusive(redis_url: str, wait_s: float = 1800, progress=None):
    """Hold a lock in the benchmark's Redis database while the block runs.

    Two benchmarks on one Redis database would take each other's tasks (and the second would
    purge the first's queue); the second waits here instead. The lock expires on its own if
    this process dies; a thread renews it while the block runs.
    """
    client = redis.Redis.from_url(redis_url)
    lock = client.lock("bench_inference:running", timeout=120, thread_local=False)
    if not lock.acquire(blocking=False):
        if progress:
            progress("another bench_inference holds this Redis database; waiting for it")
        if not lock.acquire(blocking=True, blocking_timeout=wait_s):
            raise ProcessFailed(
                f"another bench_inference held this Redis database for more than {wait_s:.0f}s"
            )
    done = threading.Event()

    def renew() -> None:
        while not done.wait(30):
            try:
                lock.reacquire()
            except Exception:  # noqa: BLE001 - a missed renewal is retried in 30 s
                pass

    renewer = threading.Thread(target=renew, daemon=True)
    renewer.start()
    try:
        yield
    finally:
        done.set()
        renewer.join(timeout=5)
        try:
            lock.release()
        except Exception:  # noqa: BLE001 - expired: nothing to release
            pass
        client.close()


@contextmanager
def benchmark_session(command: str, *, log_dir: str | None, progress, starts: str):
    """What a platform benchmark command does around its measurement; yields the log folder.

    It refuses to run without PostgreSQL and Redis (shared with ``starts``, which it starts),
    lets SIGTERM unwind like Ctrl-C so that the processes it started are stopped, holds the
    benchmark lock on its Redis database (``exclusive``), migrates, turns a failed process or
    measurement into a ``CommandError`` that says where the logs are kept, and removes a
    temporary log folder after a successful run.
    """
    database = os.environ.get("DATABASE_URL", "")
    if not database.startswith(("postgres://", "postgresql://")) or not os.environ.get("REDIS_URL"):
        raise CommandError(
            f"{command} needs DATABASE_URL (PostgreSQL) and REDIS_URL, shared with {starts} "
            "it starts"
        )
    logs = Path(log_dir) if log_dir else Path(tempfile.mkdtemp(prefix=f"{command}-"))
    logs.mkdir(parents=True, exist_ok=True)
    previous = signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    try:
        with exclusive(os.environ["REDIS_URL"], progress=progress):
            call_command("migrate", interactive=False, verbosity=0)
            yield logs
    except RuntimeError as exc:  # ProcessFailed and the benchmarks' own errors
        progress(f"logs kept in {logs}")
        raise CommandError(f"cannot measure: {str(exc).splitlines()[0]}") from exc
    finally:
        signal.signal(signal.SIGTERM, previous)
    if not log_dir:
        shutil.rmtree(logs, ignore_errors=True)
