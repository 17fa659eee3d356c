"""``manage.py bench_fraud [--smoke]``: real-time transaction scoring through REST under
open-loop Poisson arrivals, against raw per-row XGBoost with the same feature code.

Against ``DATABASE_URL`` and ``REDIS_URL`` it stores a synthetic history for the
``bench-fraud`` tenant, trains and promotes its fraud champion, measures raw per-row scoring
(features from an in-memory window state, ``pred_contribs``, reasons, decision) in this
process, starts a gunicorn, sends 50 transactions per second for 60 s (Poisson arrivals, each
with its own Idempotency-Key), then rising rates until one is not sustained. It stops what it
started, removes the run's transactions, and prints a table, then one JSON line with
``score_p50_ms``, ``score_p99_ms``, ``sustained_tps`` and ``raw_p50_ms``. The client runs on
the same machine as the server: on two cores they share the CPUs.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand

from benchmarks.fraud import FraudBenchmark, FraudPlan
from benchmarks.harness.session import benchmark_session


class Command(BaseCommand):
    help = "Benchmark real-time fraud scoring over REST (open loop) against raw xgboost."

    def add_arguments(self, parser):
        parser.add_argument("--smoke", action="store_true", help="short runs, for CI")
        parser.add_argument("--rate", type=float, default=None, help="arrivals/s (default 50)")
        parser.add_argument("--seconds", type=float, default=None, help="main run (default 60)")
        parser.add_argument(
            "--workers", type=int, default=1, help="gunicorn workers (default 1, start_web's)"
        )
        parser.add_argument("--log-dir", default=None, help="keep the web server's log here")

    def handle(self, *args, smoke, rate, seconds, workers, log_dir, **options):
        plan = FraudPlan.smoke() if smoke else FraudPlan.full()
        plan.rate = rate or plan.rate
        plan.seconds = seconds or plan.seconds
        with benchmark_session(
            "bench_fraud", log_dir=log_dir, progress=self._say, starts="a web server"
        ) as logs:
            report = FraudBenchmark(
                plan=plan,
                log_dir=logs,
                repo_root=Path(settings.BASE_DIR),
                settings_module=os.environ.get("DJANGO_SETTINGS_MODULE", "config.settings.local"),
                say=self._say,
                workers=workers,
            ).run()
        self.stdout.write(
            f"{'measure':<36}{'value':>12}\n"
            f"{'arrivals per second (Poisson)':<36}{report['rate']:>12g}\n"
            f"{'REST score p50 ms':<36}{report['score_p50_ms']:>12.2f}\n"
            f"{'REST score p99 ms':<36}{report['score_p99_ms']:>12.2f}\n"
            f"{'raw per-row p50 ms':<36}{report['raw_p50_ms']:>12.3f}\n"
            f"{'sustained transactions per second':<36}{report['sustained_tps']:>12g}\n"
            f"{'load average (1, 5, 15 min) after':<36}{str(report['load_average_after']):>12}"
        )
        self.stdout.write(json.dumps(report, separators=(",", ":")))

    def _say(self, line: str) -> None:
        self.stderr.write(f"[bench_fraud {time.strftime('%H:%M:%S')}] {line}")
        self.stderr.flush()
