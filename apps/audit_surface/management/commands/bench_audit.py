"""``manage.py bench_audit [--smoke]``: the cost of anchoring, its lag, verification speed."""

import json
import subprocess
import sys

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from apps.audit.management.scratch import scratch_environment
from benchmarks.audit import run_bench


class Command(BaseCommand):
    help = (
        "On a scratch database and file:// anchor store: events per second through audited() "
        "with anchoring at its production cadence (every 1,000 events or 60 s) versus off, 8 "
        "concurrent writers; the anchoring lag; verification time per million events. Last "
        "line JSON with anchored_over_plain, anchor_lag_s_p99 and verify_s_per_million."
    )

    def add_arguments(self, parser):
        parser.add_argument("--smoke", action="store_true", help="a short run for CI")
        parser.add_argument("--per-writer", type=int, help="events per writer per round")
        parser.add_argument("--inner", action="store_true", help="(internal) measure here")

    def handle(self, *args, **options):
        smoke = options["smoke"]
        per_writer = options["per_writer"] or (150 if smoke else 1500)
        if options["inner"]:
            if "_bench_" not in str(settings.DATABASES["default"]["NAME"]) and not str(
                settings.DATABASES["default"]["NAME"]
            ).endswith("scratch.sqlite3"):
                raise CommandError("--inner runs only on the benchmark's scratch database")
            figures = run_bench(
                per_writer=per_writer,
                rounds=1 if smoke else 2,
                anchor_seconds=settings.AUDIT_ANCHOR_SECONDS,
            )
            self.stdout.write(json.dumps(figures))
            return
        every = {"AUDIT_ANCHOR_EVERY_EVENTS": "100" if smoke else "1000"}
        every["AUDIT_ANCHOR_SECONDS"] = "5" if smoke else "60"
        # Production settings for the measured process: no strict test-only audit errors.
        every["AUDIT_RAISE_ERRORS"] = "0"
        with scratch_environment("bench", extra_env=every) as env:
            run = subprocess.run(
                [
                    sys.executable,
                    "manage.py",
                    "bench_audit",
                    "--inner",
                    "--per-writer",
                    str(per_writer),
                ]
                + (["--smoke"] if smoke else []),
                env=env,
                capture_output=True,
                text=True,
                cwd=settings.BASE_DIR,
            )
        if run.returncode != 0:
            raise CommandError(f"the benchmark failed: {run.stderr.strip()[-2000:]}")
        self.stdout.write(run.stdout.strip().splitlines()[-1])
