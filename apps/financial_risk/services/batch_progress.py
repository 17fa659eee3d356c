"""Job progress of a batch scoring, written beside the batch's own long transaction."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from django.db import connection


class ProgressOnItsOwnConnection:
    """Reports job progress from a thread of its own, hence on a database connection of its
    own: the batch's connection is busy with one long COPY inside one transaction, whose
    writes nobody could see before it commits.

    SQLite (the zero-setup mode) has one writer at a time: a second connection would wait for
    the batch's transaction to end (a database file) or fail at once with "database table is
    locked" (the shared in-memory database of tests), so there progress is written inline, in
    the batch's own transaction, and shows when it commits."""

    def __init__(self, progress):
        self.progress = progress
        self.inline = connection.vendor != "postgresql"
        self.pool = (
            None
            if self.inline
            else ThreadPoolExecutor(max_workers=1, thread_name_prefix="batch-progress")
        )

    def __call__(self, done: int, total: int, message: str) -> None:
        if not self.progress:
            return
        if self.pool is None:
            self.progress(done, total, message)
            return
        self.pool.submit(self.progress, done, total, message).result()  # JobCancelled too

    def close(self) -> None:
        if self.pool is None:
            return
        # Looked up inside the thread: django.db.connection resolves per thread.
        self.pool.submit(lambda: connection.close()).result()
        self.pool.shutdown()
