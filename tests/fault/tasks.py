"""Job tasks that only the fault tests' workers load (``celery worker --include
tests.fault.tasks``): poison messages built on the platform's own ``@job_task``."""

from __future__ import annotations

import os
import signal
import time

from apps.jobs.runner import job_task

# Retries come quickly here; the bound is what the tests check, not the back-off.
RETRIES = 2


@job_task(name="tests.fault.tasks.crash_worker_task", max_retries=RETRIES, retry_delay_s=0.1)
def crash_worker_task(job, progress):
    """Takes its worker process down, every time (a segfault in a native library, the OOM
    killer): the broker redelivers the message, which would crash the next worker too."""
    progress(0, 1)
    os.kill(os.getpid(), signal.SIGKILL)


@job_task(name="tests.fault.tasks.always_raise_task", max_retries=RETRIES, retry_delay_s=0.1)
def always_raise_task(job, progress):
    """Fails with an exception on every attempt."""
    progress(0, 1)
    raise RuntimeError(f"poisoned input in job {job.pk}")


@job_task(name="tests.fault.tasks.slow_steps_task", max_retries=RETRIES, retry_delay_s=0.5)
def slow_steps_task(job, progress):
    """``steps`` steps of ``step_s`` seconds each, reporting progress after every step."""
    steps, step_s = job.params["steps"], job.params["step_s"]
    for done in range(1, steps + 1):
        time.sleep(step_s)
        progress(done, steps)
    return {"steps": steps}
