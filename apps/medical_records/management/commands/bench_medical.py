"""``manage.py bench_medical [--smoke]``: notes structured through the platform's batch job
against Presidio plus bare medSpaCy in this process (see ``benchmarks/medical.py``).

Needs DATABASE_URL (PostgreSQL) and REDIS_URL: it starts (and stops) its own Celery worker.
Prints a table, then one JSON line with ``notes_per_s``, ``pipeline_over_raw`` (raw seconds
over pipeline seconds) and ``full_over_old`` (extraction with the full vocabularies and the NER
model over the old pipeline, notes per second). Exits non-zero when it cannot measure.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand

from benchmarks.harness.session import benchmark_session
from benchmarks.medical import BenchPlan, MedicalBenchmark


class Command(BaseCommand):
    help = "Benchmark the medical batch job against raw Presidio + bare medSpaCy."

    def add_arguments(self, parser):
        parser.add_argument("--smoke", action="store_true", help="small sizes, for CI")
        parser.add_argument("--notes", type=int, default=None, help="notes (default 2000)")
        parser.add_argument("--log-dir", default=None, help="keep the worker log here")

    def handle(self, *args, smoke, notes, log_dir, **options):
        plan = BenchPlan.smoke() if smoke else BenchPlan.full()
        if notes:
            plan.notes = notes
        with benchmark_session(
            "bench_medical", log_dir=log_dir, progress=self._say, starts="a Celery worker"
        ) as logs:
            report = MedicalBenchmark(
                plan=plan,
                log_dir=logs,
                repo_root=Path(settings.BASE_DIR),
                settings_module=os.environ.get("DJANGO_SETTINGS_MODULE", "config.settings.local"),
                say=self._say,
            ).run()
        self.stdout.write(
            f"{'measure':<34}{'value':>12}\n"
            f"{'notes':<34}{report['notes']:>12}\n"
            f"{'raw seconds (median)':<34}{report['raw_seconds']:>12.3f}\n"
            f"{'pipeline seconds (median)':<34}{report['pipeline_seconds']:>12.3f}\n"
            f"{'notes_per_s':<34}{report['notes_per_s']:>12.2f}\n"
            f"{'pipeline_over_raw':<34}{report['pipeline_over_raw']:>12.3f}\n"
            f"{'full_over_old':<34}{report['full_over_old']:>12.3f}"
        )
        self.stdout.write(json.dumps(report, separators=(",", ":")))

    def _say(self, line: str) -> None:
        self.stderr.write(f"[bench_medical {time.strftime('%H:%M:%S')}] {line}")
        self.stderr.flush()
