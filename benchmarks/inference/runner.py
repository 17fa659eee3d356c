"""The benchmark's order of work: raw, then the platform with batching, then without, then raw.

Raw runs while no platform process exists (half its rounds before them, half after, so a drift
in the machine's speed hits raw and platform alike); the web server stays up across both worker
modes; every process started here is stopped in a ``finally``.
"""

from __future__ import annotations

import functools
import math
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmarks.harness.processes import (
    ManagedProcess,
    ProcessFailed,
    foreign_inference_consumers,
    platform_env,
    purge_inference_queue,
    start_web,
    start_worker,
)
from benchmarks.inference.cpu import CpuMeter
from benchmarks.inference.load import LoadResult, run_load
from benchmarks.inference.raw import RawChat, RawEmbed, RawMeasure, measure
from benchmarks.inference.report import (
    Summary,
    describe_machine,
    load_summary,
    machine,
    raw_summary,
    table,
    workload_report,
)
from benchmarks.inference.workloads import WORKLOADS, Inputs, Plan, Workload
from models_runtime.specs import specs_from_settings

# Cores used by processes outside the benchmark above which a measure counts as disturbed.
DISTURBED_CORES = 0.25


class BenchmarkError(Exception):
    """A measure could not be taken. ``str()`` is one line; ``details`` holds log tails."""

    def __init__(self, message: str, details: str = ""):
        super().__init__(message)
        self.details = details


@dataclass
class Settings:
    plan: Plan
    token: str
    log_dir: Path
    repo_root: Path
    settings_module: str
    models_runtime: Mapping[str, Any] | None
    celery_app: Any
    progress: Callable[[str], None] = field(default=lambda line: print(line, file=sys.stderr))


class Benchmark:
    def __init__(self, settings: Settings):
        self.s = settings
        self.plan = settings.plan
        self.workloads = [w for w in WORKLOADS if w.name in self.plan.rounds]
        self.inputs = Inputs()
        self.meter = CpuMeter()
        self.results: dict[str, dict[str, Summary]] = {w.name: {} for w in self.workloads}
        self.raw_parts: dict[str, list[tuple[RawMeasure, dict]]] = {
            w.name: [] for w in self.workloads
        }
        self.started = time.monotonic()
        self.web: ManagedProcess | None = None
        self.worker: ManagedProcess | None = None

    def say(self, line: str) -> None:
        self.s.progress(f"[bench {time.monotonic() - self.started:6.1f}s] {line}")

    # ------------------------------------------------------------------------------------ run

    def run(self) -> tuple[list[str], dict]:
        specs = specs_from_settings(self.s.models_runtime)
        threads = (self.s.models_runtime or {}).get("torch_threads")
        import torch

        if threads:
            torch.set_num_threads(int(threads))
        info = machine()
        self.say(f"machine: {describe_machine(info)}; plan {self.plan.name}")

        self.say("raw: loading the platform's weights in this process")
        runners = {}
        for model in sorted({w.model for w in self.workloads}):
            if specs[model].task == "chat":
                chat = RawChat(specs[model])
                run = functools.partial(chat.run, new_tokens=self.plan.new_tokens)
            else:
                run = RawEmbed(specs[model]).run
            runners.update({w.name: run for w in self.workloads if w.model == model})
        for workload in self.workloads:  # warm-up: one full batch of each shape
            runners[workload.name](self.inputs.raw_batches(workload, "raw-warmup", 0)[0])
        split = {
            w.name: math.ceil(self.plan.rounds[w.name].raw / 2)
            if self.plan.rounds[w.name].raw > 1
            else self.plan.rounds[w.name].raw
            for w in self.workloads
        }
        self._raw_pass(runners, {name: range(0, n) for name, n in split.items()})
        self._platform()
        self._raw_pass(
            runners,
            {w.name: range(split[w.name], self.plan.rounds[w.name].raw) for w in self.workloads},
        )
        for workload in self.workloads:
            parts = self.raw_parts[workload.name]
            wall = sum(m.seconds for m, _ in parts)
            cpu = {
                group: round(sum(c.get(group, 0.0) * m.seconds for m, c in parts) / wall, 2)
                for group in parts[0][1]
            }
            self.results[workload.name]["raw"] = raw_summary(workload, [m for m, _ in parts], cpu)
        return self._report(info)

    def _raw_pass(self, runners, rounds: dict[str, range]) -> None:
        for workload in self.workloads:
            todo = rounds[workload.name]
            if not todo:
                continue
            self.say(
                f"raw {workload.name}: {len(todo)} round(s), batches of {workload.raw_batch_size}"
            )
            batches = [b for r in todo for b in self.inputs.raw_batches(workload, "raw", r)]
            before = self.meter.snapshot()
            result = measure(batches, runners[workload.name])
            cpu = self.meter.cores(before, self.meter.snapshot(), result.seconds)
            self.raw_parts[workload.name].append((result, cpu))
            self.say(f"  {result.units / result.seconds:.1f} {workload.unit}/s")

    # ------------------------------------------------------------------------------- platform

    def _platform(self) -> None:
        app = self.s.celery_app
        purged = purge_inference_queue(app)
        if purged:
            self.say(f"dropped {purged} stale message(s) from the inference queue")
        env = platform_env(max_batch_size=None, settings_module=self.s.settings_module)
        self.say("starting the web server")
        try:
            self.web, port = start_web(env, self.s.log_dir, self.s.repo_root)
        except ProcessFailed as exc:
            raise BenchmarkError("the web server did not start", str(exc)) from exc
        self.meter.track("web", lambda: self.web.pid if self.web else None)
        self.meter.track("worker", lambda: self.worker.pid if self.worker else None)
        try:
            for mode, max_batch in (("platform", None), ("naive", 1)):
                todo = [w for w in self.workloads if getattr(self.plan.rounds[w.name], mode) > 0]
                if todo:
                    self._mode(mode, max_batch, port, todo)
        finally:
            self.web.stop()

    def _mode(self, mode: str, max_batch: int | None, port: int, todo: list[Workload]) -> None:
        label = "batching on" if max_batch is None else f"max batch size {max_batch}"
        self.say(f"starting the inference worker ({mode}: {label})")
        env = platform_env(max_batch_size=max_batch, settings_module=self.s.settings_module)
        try:
            self.worker = start_worker(
                env, self.s.log_dir, self.s.repo_root, mode, self.s.celery_app
            )
        except ProcessFailed as exc:
            raise BenchmarkError(f"the inference worker ({mode}) did not start", str(exc)) from exc
        try:
            foreign = foreign_inference_consumers(self.s.celery_app, self.worker.node)
            if foreign:
                raise BenchmarkError(
                    f"other workers consume the inference queue on this Redis database "
                    f"({', '.join(foreign)}): give the benchmark a Redis database of its own"
                )
            for workload in todo:
                self._measure(mode, port, workload)
        finally:
            self.worker.stop()
            self.worker = None

    def _measure(self, mode: str, port: int, workload: Workload) -> None:
        rounds = self.plan.rounds[workload.name]
        batched = mode == "platform"
        warm_clients = self.plan.warmup_clients or (workload.clients if batched else 2)
        warm_clients = min(warm_clients, workload.clients)
        warm_rounds = rounds.platform_warmup if batched else 1
        if warm_rounds:
            self.say(f"{mode} {workload.name}: warm-up, {warm_clients} client(s) x {warm_rounds}")
            warm = self._load(port, workload, f"{mode}-warmup", warm_rounds, warm_clients)
            self._check(mode, workload, warm)
        count = getattr(rounds, mode)
        self.say(f"{mode} {workload.name}: {workload.clients} clients x {count} request(s)")
        before = self.meter.snapshot()
        result = self._load(port, workload, mode, count, None)
        cpu = self.meter.cores(before, self.meter.snapshot(), result.wall_s)
        self._check(mode, workload, result)
        summary = load_summary(mode, result, cpu)
        self.results[workload.name][mode] = summary
        self.say(
            f"  {summary.throughput:.1f} {workload.unit}/s, "
            f"mean batch {summary.mean_batch_size:.1f}"
        )

    def _load(self, port, workload, phase, rounds, clients) -> LoadResult:
        return run_load(
            port=port,
            token=self.s.token,
            workload=workload,
            inputs=self.inputs,
            phase=phase,
            rounds=rounds,
            new_tokens=self.plan.new_tokens,
            clients=clients,
        )

    def _check(self, mode: str, workload: Workload, result: LoadResult) -> None:
        problem = None
        if result.errors:
            problem = (
                f"{mode} {workload.name}: {len(result.errors)} client(s) failed; "
                f"first: {result.errors[0][:400]}"
            )
        elif result.units <= 0:
            problem = f"{mode} {workload.name}: no {workload.unit} came back"
        for process in (self.web, self.worker):
            if problem is None and process is not None and not process.alive():
                problem = f"{process.name} exited during {mode} {workload.name}"
        if problem:
            details = "\n".join(
                f"--- {p.name}, log {p.log}:\n{p.log_tail(3000)}"
                for p in (self.web, self.worker)
                if p is not None
            )
            raise BenchmarkError(problem.replace("\n", " "), details)

    # --------------------------------------------------------------------------------- report

    def _report(self, info: dict) -> tuple[list[str], dict]:
        lines = table(self.workloads, self.results)
        disturbed = sorted(
            f"{name} {path}"
            for name, summaries in self.results.items()
            for path, s in summaries.items()
            if s.cpu_cores.get("other", 0) + s.cpu_cores.get("steal", 0) > DISTURBED_CORES
        )
        if disturbed:
            lines.append(
                f"warning: other processes used > {DISTURBED_CORES} cores during: "
                + ", ".join(disturbed)
                + " (numbers may be disturbed; run again on a quiet machine)"
            )
        report = {w.name: workload_report(w, self.results[w.name]) for w in self.workloads}
        report.update(
            plan=self.plan.name,
            new_tokens=self.plan.new_tokens,
            disturbed=disturbed,
            seconds=round(time.monotonic() - self.started, 1),
            machine={**info, "description": describe_machine(info)},
        )
        return lines, report
