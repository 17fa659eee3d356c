"""``manage.py audit_verify [--tenant SLUG] [--anchors-only]``: re-compute the audit chains and
hold them against the anchor store; exit 1 on tampering."""

import sys

from django.core.management.base import BaseCommand, CommandError

from apps.audit.anchors import anchor_store
from apps.audit.management import tenant_option
from apps.audit.verification import audit_anchors_verify, audit_chains_verify


class Command(BaseCommand):
    help = (
        "Re-compute every audit chain (or one tenant's) and check it against its head row and "
        "signed checkpoints, and against the anchors outside the database (AUDIT_ANCHOR_URL). "
        "Prints 'OK: N chains, M events verified', or names the chain, the last anchored seq "
        "and the first altered, removed, inserted or reordered event (or truncation, erasure) "
        "and exits with status 1."
    )

    def add_arguments(self, parser):
        parser.add_argument("--tenant", metavar="SLUG", help="only this tenant's chain")
        parser.add_argument(
            "--anchors-only",
            action="store_true",
            help="check only the anchor store's own continuity (signatures, links, manifest)",
        )

    def handle(self, *args, **options):
        verbosity = options["verbosity"]

        def progress(done, total):
            if verbosity >= 2:
                self.stderr.write(f"verified {done}/{total} events")

        if options["anchors_only"]:
            store = anchor_store()
            if store is None:
                raise CommandError("--anchors-only needs AUDIT_ANCHOR_URL")
            result = audit_anchors_verify(store)
            if result.ok:
                self.stdout.write(
                    f"OK: anchor store {store.url}: {result.chains} chains, "
                    f"{result.checkpoints} records verified"
                )
                return
        else:
            result = audit_chains_verify(tenant=tenant_option(options["tenant"]), progress=progress)
            if result.ok and anchor_store() is None:
                self.stderr.write("warning: AUDIT_ANCHOR_URL is not set; no anchors checked")
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
