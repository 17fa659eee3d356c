"""``manage.py bench_customer_service [--smoke]``: concurrent conversations with the assistant
through the REST API (see ``benchmarks/customer_service.py``), with the default models.

Needs ``DATABASE_URL`` (PostgreSQL) and ``REDIS_URL``; starts and stops its own inference
worker and web server. Prints a table, then one JSON line with ``reply_p50_ms``,
``reply_p95_ms``, ``overhead_fraction`` (wall time minus the client-side round trips of the
model calls, over wall time), ``queue_ms_p50``, ``compute_ms_p50`` and the p50 per stage.
Exits non-zero when it cannot measure.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand

from benchmarks.customer_service import BenchPlan, CustomerServiceBenchmark
from benchmarks.harness.session import benchmark_session


class Command(BaseCommand):
    help = "Benchmark concurrent customer-service conversations over REST (latency, overhead)."

    def add_arguments(self, parser):
        parser.add_argument("--smoke", action="store_true", help="small sizes, for CI")
        parser.add_argument("--conversations", type=int, default=None)
        parser.add_argument("--messages", type=int, default=None)
        parser.add_argument("--log-dir", default=None, help="keep the web and worker logs here")

    def handle(self, *args, smoke, conversations, messages, log_dir, **options):
        plan = BenchPlan.smoke() if smoke else BenchPlan.full()
        if conversations:
            plan.conversations = conversations
        if messages:
            plan.messages = max(1, min(messages, 6))
        with benchmark_session(
            "bench_customer_service",
            log_dir=log_dir,
            progress=self._say,
            starts="a web server and an inference worker",
        ) as logs:
            report = CustomerServiceBenchmark(
                plan=plan,
                log_dir=logs,
                repo_root=Path(settings.BASE_DIR),
                settings_module=os.environ.get("DJANGO_SETTINGS_MODULE", "config.settings.local"),
                say=self._say,
            ).run()
        stages = report["stages_p50_ms"]
        rows = [
            ("replies (concurrent conversations)", f"{report['replies']} ({plan.conversations})"),
            ("reply p50 / p95 ms", f"{report['reply_p50_ms']} / {report['reply_p95_ms']}"),
            ("generated reply p50 ms", report["generated_reply_p50_ms"]),
            ("overhead fraction", report["overhead_fraction"]),
            ("grounding check p50 ms", report["grounding_ms_p50"]),
            (
                "chat queue / compute p50 ms",
                f"{report['queue_ms_p50']} / {report['compute_ms_p50']}",
            ),
            *((f"stage {name} p50 ms", value) for name, value in stages.items()),
        ]
        for name, value in rows:
            self.stdout.write(f"{name:<38}{value!s:>22}")
        self.stdout.write(json.dumps(report, separators=(",", ":")))

    def _say(self, line: str) -> None:
        self.stderr.write(f"[bench_customer_service {time.strftime('%H:%M:%S')}] {line}")
        self.stderr.flush()
