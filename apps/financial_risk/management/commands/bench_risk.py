"""``manage.py bench_risk [--smoke]``: batch scoring through the platform against raw XGBoost,
and single decisions through REST.

Against ``DATABASE_URL`` and ``REDIS_URL`` it trains (once) a German credit champion for the
``bench-risk`` tenant, makes 100,000 synthetic applications, then:

- raw: the same feature matrix through ``xgboost`` directly (``predict`` and
  ``pred_contribs``) in this process, before and after the platform runs;
- batch: ``POST /api/v1/risk/batch-scorings/`` to a web server and a Celery worker it starts
  itself, timed from the request to the job's ``succeeded`` (scoring, reasons, COPY of the
  decisions, the audit event);
- single: sequential ``POST /api/v1/risk/decisions/`` (latency percentiles).

It stops every process it started, and prints a table, then one JSON line with
``batch_over_raw`` (raw seconds over batch seconds) and ``single_decision_p50_ms``. Exits
non-zero when it cannot measure.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand

from benchmarks.harness.session import benchmark_session
from benchmarks.risk import BenchPlan, RiskBenchmark


class Command(BaseCommand):
    help = "Benchmark batch scoring (platform vs raw xgboost) and single decisions over REST."

    def add_arguments(self, parser):
        parser.add_argument("--smoke", action="store_true", help="small sizes, for CI")
        parser.add_argument("--rows", type=int, default=None, help="batch rows (default 100000)")
        parser.add_argument(
            "--decisions", type=int, default=None, help="single decisions (default 300)"
        )
        parser.add_argument("--log-dir", default=None, help="keep the web and worker logs here")

    def handle(self, *args, smoke, rows, decisions, log_dir, **options):
        plan = BenchPlan.smoke() if smoke else BenchPlan.full()
        if rows:
            plan.rows = rows
        if decisions:
            plan.decisions = decisions
        with benchmark_session(
            "bench_risk",
            log_dir=log_dir,
            progress=self._say,
            starts="a web server and a Celery worker",
        ) as logs:
            report = RiskBenchmark(
                plan=plan,
                log_dir=logs,
                repo_root=Path(settings.BASE_DIR),
                settings_module=os.environ.get("DJANGO_SETTINGS_MODULE", "config.settings.local"),
                say=self._say,
            ).run()
        self.stdout.write(
            f"{'measure':<34}{'value':>14}\n"
            f"{'rows scored and explained':<34}{report['rows']:>14}\n"
            f"{'raw xgboost seconds (median)':<34}{report['raw_seconds']:>14.3f}\n"
            f"{'batch job seconds (median)':<34}{report['batch_seconds']:>14.3f}\n"
            f"{'batch_over_raw':<34}{report['batch_over_raw']:>14.3f}\n"
            f"{'single decision p50 ms':<34}{report['single_decision_p50_ms']:>14.1f}\n"
            f"{'single decision p95 ms':<34}{report['single_decision_p95_ms']:>14.1f}"
        )
        self.stdout.write(json.dumps(report, separators=(",", ":")))

    def _say(self, line: str) -> None:
        self.stderr.write(f"[bench_risk {time.strftime('%H:%M:%S')}] {line}")
        self.stderr.flush()
