"""``manage.py audit_checkpoint [--tenant SLUG]``: sign the head of each audit chain now."""

from django.core.management.base import BaseCommand

from apps.audit.management import tenant_option
from apps.audit.services import audit_checkpoint_create


class Command(BaseCommand):
    help = (
        "Sign a checkpoint (HMAC under AUDIT_SIGNING_KEY) of the head of every audit chain that "
        "grew since its last checkpoint. celery-beat runs the same as audit_checkpoint_task."
    )

    def add_arguments(self, parser):
        parser.add_argument("--tenant", metavar="SLUG", help="only this tenant's chain")

    def handle(self, *args, **options):
        checkpoints = audit_checkpoint_create(tenant=tenant_option(options["tenant"]))
        if options["verbosity"] >= 2:
            for checkpoint in checkpoints:
                self.stdout.write(f"signed {checkpoint.chain} at seq {checkpoint.seq}")
        self.stdout.write(f"Signed {len(checkpoints)} checkpoint(s).")
