"""``manage.py audit_attack_drill [--smoke]``: insider attacks on a scratch database and store."""

import json
import subprocess
import sys

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from apps.audit.management.scratch import scratch_environment
from apps.audit_surface.management.attacks import run_attacks


class Command(BaseCommand):
    help = (
        "On a scratch database and a scratch file:// anchor store, erase and rewrite audit "
        "history as a database administrator would (tail truncation, whole-tenant erasure, "
        "TRUNCATE, a forged re-signed checkpoint, a rewritten anchor file, ...) and check that "
        "audit_verify detects each. Last line: JSON with attacks and undetected."
    )

    def add_arguments(self, parser):
        parser.add_argument("--smoke", action="store_true", help="fewer events per chain (CI)")
        parser.add_argument("--inner", action="store_true", help="(internal) run the attacks here")

    def handle(self, *args, **options):
        events = 12 if options["smoke"] else 60
        if options["inner"]:  # the attacks run only on the scratch database
            if "_drill_" not in str(settings.DATABASES["default"]["NAME"]) and not str(
                settings.DATABASES["default"]["NAME"]
            ).endswith("scratch.sqlite3"):
                raise CommandError("--inner runs only on the drill's scratch database")
            self.stdout.write(json.dumps(run_attacks(events=events)))
            return
        with scratch_environment("drill") as env:
            run = subprocess.run(
                [sys.executable, "manage.py", "audit_attack_drill", "--inner"]
                + (["--smoke"] if options["smoke"] else []),
                env=env,
                capture_output=True,
                text=True,
                cwd=settings.BASE_DIR,
            )
        if run.returncode != 0:
            raise CommandError(f"the drill failed: {run.stderr.strip()[-2000:]}")
        result = json.loads(run.stdout.strip().splitlines()[-1])
        for name, problem in result["detected"].items():
            self.stdout.write(f"detected {name}: {problem[:300]}")
        for name in result["missed"]:
            self.stdout.write(f"UNDETECTED {name}")
        self.stdout.write(json.dumps(result | {"detected": sorted(result["detected"])}))
