"""``manage.py audit_keygen``: a new Ed25519 key for signing checkpoints and anchors."""

from django.core.management.base import BaseCommand

from apps.audit.signing import new_key_pair


class Command(BaseCommand):
    help = (
        "Print a new Ed25519 signing key as AUDIT_ED25519_KEYS=KEY_ID:SEED. To rotate: put the "
        "new entry first in AUDIT_ED25519_KEYS; move the old one's KEY_ID:PUBLIC to "
        "AUDIT_ED25519_RETIRED_PUBLIC_KEYS once no process signs with it."
    )

    def handle(self, *args, **options):
        key_id, seed, public = new_key_pair()
        self.stdout.write(f"AUDIT_ED25519_KEYS={key_id}:{seed}")
        self.stdout.write(f"# public, for AUDIT_ED25519_RETIRED_PUBLIC_KEYS: {key_id}:{public}")
