"""``manage.py audit_anchor``: checkpoint and anchor every audit chain now."""

from django.core.management.base import BaseCommand, CommandError

from apps.audit.anchors import anchor_store
from apps.audit.services import audit_anchor_run


class Command(BaseCommand):
    help = (
        "Sign a checkpoint of every audit chain that grew and write every unanchored "
        "checkpoint to the anchor store (AUDIT_ANCHOR_URL). celery-beat runs the same as "
        "audit_anchor_task every AUDIT_ANCHOR_SECONDS."
    )

    def handle(self, *args, **options):
        if anchor_store() is None:
            raise CommandError("AUDIT_ANCHOR_URL is not set")
        counts = audit_anchor_run()
        self.stdout.write(
            f"Signed {counts['checkpoints']} checkpoint(s); anchored "
            f"{counts['anchored_late']} late one(s) in {anchor_store().url}."
        )
