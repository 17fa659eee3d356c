"""``manage.py audit_restore_record --note TEXT``: record a restore from an older backup."""

from django.core.management.base import BaseCommand, CommandError

from apps.audit.anchors import anchor_store
from apps.audit.services import audit_restore_record


class Command(BaseCommand):
    help = (
        "After restoring an older backup: write a signed restore record for every chain the "
        "anchor store is ahead on, and an audited, anchored audit.restore.record event. "
        "Without it, audit_verify reports the restored database as truncated."
    )

    def add_arguments(self, parser):
        parser.add_argument("--note", required=True, help="why and from which backup")

    def handle(self, *args, **options):
        if anchor_store() is None:
            raise CommandError("AUDIT_ANCHOR_URL is not set")
        try:
            records = audit_restore_record(note=options["note"])
        except RuntimeError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"Recorded the restore for {len(records)} chain(s).")
