"""Where the CPU went during a measure: cores used by each process group, and by everything else.

Groups are this process (the raw model or the HTTP clients), the web server, the inference
worker, Redis and PostgreSQL. ``other`` is what the rest of the machine used: when it is large,
someone else's work disturbed the measure. ``steal`` is time the hypervisor gave elsewhere.
"""

from __future__ import annotations

import os
from collections.abc import Callable

import psutil

SERVICE_NAMES = {"redis-server": "redis", "postgres": "postgres"}


class CpuMeter:
    def __init__(self) -> None:
        self.roots: dict[str, Callable[[], int | None]] = {"bench": os.getpid}

    def track(self, group: str, pid: Callable[[], int | None]) -> None:
        """Count ``pid()`` and its descendants as ``group`` (looked up at each snapshot)."""
        self.roots[group] = pid

    def snapshot(self) -> dict:
        processes: dict[tuple[int, float], tuple[str, float]] = {}
        for group, root in self.roots.items():
            pid = root()
            if pid is None:
                continue
            try:
                top = psutil.Process(pid)
                family = [top] + (top.children(recursive=True) if group != "bench" else [])
            except psutil.Error:
                continue
            for proc in family:
                self._add(processes, group, proc)
        for proc in psutil.process_iter(["name"]):
            group = SERVICE_NAMES.get(proc.info["name"] or "")
            if group:
                self._add(processes, group, proc)
        times = psutil.cpu_times()
        busy = sum(
            getattr(times, name, 0.0) for name in ("user", "nice", "system", "irq", "softirq")
        )
        return {"processes": processes, "busy": busy, "steal": getattr(times, "steal", 0.0)}

    @staticmethod
    def _add(processes: dict, group: str, proc: psutil.Process) -> None:
        try:
            key = (proc.pid, proc.create_time())
            cpu = proc.cpu_times()
            processes.setdefault(key, (group, cpu.user + cpu.system))
        except psutil.Error:
            pass

    @staticmethod
    def cores(before: dict, after: dict, wall_s: float) -> dict[str, float]:
        """Average cores used per group between two snapshots, plus ``other`` and ``steal``."""
        used: dict[str, float] = {}
        for key, (group, seconds) in after["processes"].items():
            start = before["processes"].get(key, (group, 0.0))[1]
            used[group] = used.get(group, 0.0) + max(0.0, seconds - start)
        total_busy = after["busy"] - before["busy"]
        used["other"] = max(0.0, total_busy - sum(used.values()))
        used["steal"] = after["steal"] - before["steal"]
        wall_s = max(wall_s, 1e-9)
        return {group: round(seconds / wall_s, 2) for group, seconds in used.items()}
