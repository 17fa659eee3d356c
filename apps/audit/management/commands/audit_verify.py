"""``manage.py audit_verify [--tenant SLUG]``: re-compute the audit chains; exit 1 on tampering."""

import sys

from django.core.management.base import BaseCommand

from apps.audit.management import tenant_option
from apps.audit.verification import audit_chains_verify


class Command(BaseCommand):
    help = (
        "Re-compute every audit chain (or one tenant's) and check it against its head row and "
        "signed checkpoints. Prints 'OK: N chains, M events verified', or names the first "
        "altered, removed, inserted or reordered event (or truncation) and exits with status 1."
    )

    def add_arguments(self, parser):
        parser.add_argument("--tenant", metavar="SLUG", help="only this tenant's chain")

    def handle(self, *args, **options):
        verbosity = options["verbosity"]

        def progress(done, total):
            if verbosity >= 2:
                self.stderr.write(f"verified {done}/{total} events")

        result = audit_chains_verify(tenant=tenant_option(options["tenant"]), progress=progress)
        if result.ok:
            self.stdout.write(f"OK: {result.chains} chains, {result.events} events verified")
            if verbosity >= 2:
                self.stdout.write(f"{result.checkpoints} signed checkpoints checked")
            return
        self.stderr.write(f"FAILED: {result.first_problem}")
        for problem in result.problems[1:]:
            self.stderr.write(f"also: {problem}")
        self.stderr.write(
            f"{len(result.problems)} problem(s) in {result.chains} chains, "
            f"{result.events} events checked"
        )
        sys.exit(1)
