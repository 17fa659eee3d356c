"""Summaries of the measures, the printed table and the final JSON object."""

from __future__ import annotations

import math
import os
import platform
from dataclasses import asdict, dataclass, field

import psutil

from benchmarks.inference.load import LoadResult
from benchmarks.inference.raw import RawMeasure
from benchmarks.inference.workloads import Workload

PATHS = ("raw", "platform", "naive")


def percentile(values: list[float], q: float) -> float:
    """Linear interpolation between closest ranks (numpy's default)."""
    if not values:
        return math.nan
    ordered = sorted(values)
    position = (len(ordered) - 1) * q
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


@dataclass
class Summary:
    path: str
    clients: int
    requests: int
    units: int
    seconds: float
    throughput: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    mean_batch_size: float
    cpu_cores: dict = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    @property
    def busy_cores(self) -> float:
        """Cores the benchmark's own processes used (everything but ``other`` and ``steal``)."""
        return sum(v for k, v in self.cpu_cores.items() if k not in ("other", "steal"))

    @property
    def per_core(self) -> float:
        """Units per core-second of the benchmark's own processes: a throughput that other
        processes' load on the machine disturbs far less."""
        return self.throughput / self.busy_cores if self.busy_cores > 0 else 0.0

    def as_dict(self) -> dict:
        data = asdict(self)
        for key in ("seconds", "throughput", "p50_ms", "p95_ms", "p99_ms", "mean_batch_size"):
            data[key] = round(data[key], 3)
        return data


def _summary(path, clients, units, seconds, latencies, batch, cpu, notes) -> Summary:
    return Summary(
        path=path,
        clients=clients,
        requests=len(latencies),
        units=units,
        seconds=seconds,
        throughput=units / seconds if seconds > 0 else 0.0,
        p50_ms=percentile(latencies, 0.50) * 1000,
        p95_ms=percentile(latencies, 0.95) * 1000,
        p99_ms=percentile(latencies, 0.99) * 1000,
        mean_batch_size=batch,
        cpu_cores=cpu,
        notes=notes,
    )


def raw_summary(workload: Workload, measures: list[RawMeasure], cpu: dict) -> Summary:
    """Every request of a raw batch waits for the whole batch: its latency is the batch's."""
    seconds = [s for m in measures for s in m.batch_seconds]
    per_batch = workload.raw_batch_size // workload.texts_per_request  # requests in one batch
    latencies = [s for s in seconds for _ in range(per_batch)]
    units = sum(m.units for m in measures)
    return _summary(
        "raw", workload.clients, units, sum(seconds), latencies, measures[0].batch_size, cpu, []
    )


def load_summary(path: str, result: LoadResult, cpu: dict) -> Summary:
    notes = []
    if result.short_outputs:
        notes.append(f"{result.short_outputs} chat answers were shorter than asked")
    mean_batch = sum(result.batch_sizes) / len(result.batch_sizes) if result.batch_sizes else 0.0
    if result.queue_ms:
        notes.append(
            f"worker queue p50 {percentile(result.queue_ms, 0.5):.0f} ms, "
            f"compute p50 {percentile(result.compute_ms, 0.5):.0f} ms"
        )
    return _summary(
        path,
        result.clients,
        result.units,
        result.wall_s,
        result.latencies_s,
        mean_batch,
        cpu,
        notes,
    )


def ratio(numerator: Summary | None, denominator: Summary | None) -> float | None:
    if numerator is None or denominator is None or denominator.throughput <= 0:
        return None
    return round(numerator.throughput / denominator.throughput, 3)


def workload_report(workload: Workload, summaries: dict[str, Summary]) -> dict:
    report: dict = {"unit": f"{workload.unit}/s"}
    for path in PATHS:
        if path in summaries:
            report[path] = round(summaries[path].throughput, 2)
    report["platform_over_raw"] = ratio(summaries.get("platform"), summaries.get("raw"))
    if "naive" in summaries:
        report["platform_over_naive"] = ratio(summaries.get("platform"), summaries.get("naive"))
    report["per_core"] = {path: round(s.per_core, 2) for path, s in summaries.items()}
    if "platform" in summaries and "raw" in summaries and summaries["raw"].per_core > 0:
        report["platform_over_raw_per_core"] = round(
            summaries["platform"].per_core / summaries["raw"].per_core, 3
        )
    report["mean_batch_size"] = {path: round(s.mean_batch_size, 2) for path, s in summaries.items()}
    report["latency_ms"] = {
        path: {q: round(getattr(s, f"{q}_ms"), 1) for q in ("p50", "p95", "p99")}
        for path, s in summaries.items()
    }
    report["cpu_cores"] = {path: s.cpu_cores for path, s in summaries.items()}
    report["requests"] = {path: s.requests for path, s in summaries.items()}
    return report


CPU_COLUMNS = ("bench", "web", "worker", "redis", "postgres", "other", "steal")


def table(workloads: list[Workload], results: dict[str, dict[str, Summary]]) -> list[str]:
    header = (
        f"{'workload':<14}{'path':<10}{'clients':>8}{'requests':>9}{'throughput':>18}"
        f"{'p50 ms':>10}{'p95 ms':>10}{'p99 ms':>10}{'batch':>7}{'/raw':>7}{'per core':>10}"
        f"   cpu cores ({' '.join(CPU_COLUMNS)})"
    )
    lines = [header, "-" * len(header)]
    notes = []
    for workload in workloads:
        summaries = results.get(workload.name, {})
        raw = summaries.get("raw")
        for path in PATHS:
            s = summaries.get(path)
            if s is None:
                continue
            over_raw = ratio(s, raw)
            cpu = " ".join(f"{s.cpu_cores.get(c, 0.0):.2f}" for c in CPU_COLUMNS)
            lines.append(
                f"{workload.name:<14}{path:<10}{s.clients:>8}{s.requests:>9}"
                f"{s.throughput:>10.1f} {workload.unit + '/s':<7}"
                f"{s.p50_ms:>10.0f}{s.p95_ms:>10.0f}{s.p99_ms:>10.0f}{s.mean_batch_size:>7.1f}"
                f"{over_raw if over_raw is not None else float('nan'):>7.2f}{s.per_core:>10.1f}"
                f"   {cpu}"
            )
            notes.extend(f"  {workload.name} {path}: {note}" for note in s.notes)
    return lines + notes


def machine() -> dict:
    import torch
    import transformers

    model = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as fh:
            names = [line.split(":", 1)[1].strip() for line in fh if line.startswith("model name")]
        model = names[0] if names else model
    except OSError:
        pass
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = os.cpu_count()
    memory_gib = round(psutil.virtual_memory().total / 2**30, 1)
    return {
        "cpu": model,
        "cpu_count": os.cpu_count(),
        "usable_cpus": usable,
        "memory_gib": memory_gib,
        "gpu": torch.cuda.get_device_name(0) if torch.cuda.is_available() else None,
        "os": platform.platform(),
        "python": platform.python_version(),
        "torch": torch.__version__,
        "transformers": transformers.__version__,
        "torch_threads": torch.get_num_threads(),
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
    }


def describe_machine(info: dict) -> str:
    gpu = f", GPU {info['gpu']}" if info.get("gpu") else ", no GPU"
    return (
        f"{info['cpu']}, {info['usable_cpus']} usable CPUs, {info['memory_gib']} GiB{gpu}; "
        f"torch {info['torch']} with {info['torch_threads']} threads, "
        f"transformers {info['transformers']}"
    )
