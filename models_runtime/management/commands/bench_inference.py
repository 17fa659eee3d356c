"""``manage.py bench_inference [--smoke]``: the platform's inference path against the raw model.

Starts (and stops) its own web server and inference workers against ``DATABASE_URL`` and
``REDIS_URL``, measures chat, embed and embed_batched three ways (raw, platform, platform with
batching off), prints a table and, as its last line, one JSON object with the ratios. Exits
non-zero when a measure cannot be taken. See ``benchmarks.inference``.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import sys
import tempfile
from pathlib import Path

from celery import current_app
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from benchmarks.harness.credentials import bench_credential
from benchmarks.harness.processes import ProcessFailed
from benchmarks.harness.session import exclusive
from benchmarks.inference.arrivals_run import ArrivalsFailed, measure_chat_arrivals
from benchmarks.inference.runner import Benchmark, BenchmarkError, Settings
from benchmarks.inference.single_user import measure_single_user
from benchmarks.inference.workloads import FULL, SMOKE
from models_runtime.errors import ModelsRuntimeError


class Command(BaseCommand):
    help = (
        "Benchmark chat and embeddings: raw model vs the platform over HTTP (auth, audit, "
        "Celery, worker, batcher) vs the platform with batching off. Last line: JSON."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--smoke", action="store_true", help="one short round per measure (for CI)"
        )
        parser.add_argument(
            "--rounds-scale",
            type=float,
            default=1.0,
            help="multiply every measure's rounds by this (at least one round each)",
        )
        parser.add_argument(
            "--only",
            default="",
            help="comma-separated workloads to run (chat, embed, embed_batched, "
            "chat_arrivals); default all",
        )
        parser.add_argument(
            "--single-user",
            action="store_true",
            help="one user sending chat requests one after another: queue time per request "
            "(last line: single_user_queue_ms_p50); a lone caller must wait for nobody",
        )
        parser.add_argument(
            "--log-dir",
            default=None,
            help="keep the web server's and workers' logs here (default: a temp folder, "
            "removed after a successful run)",
        )

    def handle(self, *args, smoke, rounds_scale, only, log_dir, single_user, **options):
        plan = (SMOKE if smoke else FULL).scaled(rounds_scale)
        if only:
            try:
                plan = plan.only([name.strip() for name in only.split(",") if name.strip()])
            except ValueError as exc:
                raise CommandError(str(exc)) from exc
        missing = [name for name in ("DATABASE_URL", "REDIS_URL") if not os.environ.get(name)]
        if missing:
            raise CommandError(
                f"bench_inference needs {' and '.join(missing)}: it starts a web server and "
                "Celery workers that share the database and broker with it"
            )
        celery_app = current_app._get_current_object()
        if not str(celery_app.conf.broker_url or "").startswith(("redis://", "rediss://")):
            raise CommandError(f"the Celery broker is {celery_app.conf.broker_url!r}, not Redis")

        logs = Path(log_dir) if log_dir else Path(tempfile.mkdtemp(prefix="bench-inference-"))
        logs.mkdir(parents=True, exist_ok=True)
        # SIGTERM unwinds like Ctrl-C, so the finally blocks stop the processes started here.
        previous = signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
        try:
            with exclusive(os.environ["REDIS_URL"], progress=self._progress):
                call_command("migrate", interactive=False, verbosity=0)
                token, revoke = bench_credential()
                bench_settings = Settings(
                    plan=plan,
                    token=token,
                    log_dir=logs,
                    repo_root=Path(settings.BASE_DIR),
                    settings_module=os.environ.get(
                        "DJANGO_SETTINGS_MODULE", "config.settings.local"
                    ),
                    models_runtime=getattr(settings, "MODELS_RUNTIME", None),
                    celery_app=celery_app,
                    progress=self._progress,
                )
                try:
                    if single_user:
                        lines, report = measure_single_user(
                            bench_settings,
                            requests=4 if smoke else 20,
                            new_tokens=8 if smoke else 16,
                            say=self._progress,
                        )
                    else:
                        lines, report = self._measure(bench_settings, plan)
                finally:
                    revoke()
        except ModelsRuntimeError as exc:  # an invalid MODELS_RUNTIME, weights missing
            raise CommandError(f"cannot measure: {exc}") from exc
        except (BenchmarkError, ProcessFailed, ArrivalsFailed) as exc:
            if getattr(exc, "details", ""):
                self.stderr.write(exc.details)
            self.stderr.write(f"logs kept in {logs}")
            raise CommandError(f"cannot measure: {str(exc).splitlines()[0]}") from exc
        finally:
            signal.signal(signal.SIGTERM, previous)
        if not log_dir:
            shutil.rmtree(logs, ignore_errors=True)
        for line in lines:
            self.stdout.write(line)
        self.stdout.write(json.dumps(report, separators=(",", ":")))

    def _measure(self, bench_settings, plan) -> tuple[list[str], dict]:
        """The closed-loop workloads (runner.Benchmark), then the chat_arrivals trace."""
        lines, report = [], {"plan": plan.name, "new_tokens": plan.new_tokens}
        if plan.rounds:
            lines, report = Benchmark(bench_settings).run()
        if plan.arrivals:
            more, arrivals = measure_chat_arrivals(
                bench_settings,
                requests=plan.arrivals,
                lengths=plan.arrival_lengths,
                say=self._progress,
            )
            lines += more
            report.setdefault("machine", arrivals["machine"])
            report["chat_arrivals"] = {k: v for k, v in arrivals.items() if k != "machine"}
        return lines, report

    def _progress(self, line: str) -> None:
        self.stderr.write(line)
        self.stderr.flush()
