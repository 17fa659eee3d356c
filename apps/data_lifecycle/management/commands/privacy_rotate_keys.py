"""``manage.py privacy_rotate_keys [--tenant SLUG]``: data keys re-wrapped under the current
master key, new data keys, every value re-encrypted."""

from django.apps import apps
from django.core.management.base import BaseCommand, CommandError

from apps.accounts.models import Tenant
from apps.audit.services import audited
from apps.privacy.fields import EncryptedBinaryField, EncryptedJSONField, EncryptedTextField
from apps.privacy.keys import tenant_key_rotate, tenant_keys_rewrap
from apps.privacy.migration_ops import encrypt_existing_rows


def encrypted_fields():
    """Every (model, field name) stored encrypted (text, binary or JSON)."""
    for model in apps.get_models():
        for field in model._meta.concrete_fields:
            if isinstance(field, (EncryptedTextField, EncryptedBinaryField, EncryptedJSONField)):
                yield model, field.name


class Command(BaseCommand):
    help = (
        "Re-wrap each tenant's (or one's) data keys under the current master key version, "
        "give it a new data-key version, then re-encrypt every encrypted "
        "field in batches under it. Old versions stay until then, so every value stays "
        "readable throughout."
    )

    def add_arguments(self, parser):
        parser.add_argument("--tenant", metavar="SLUG")

    def handle(self, *args, **options):
        tenants = Tenant.objects.all()
        if options["tenant"]:
            tenants = tenants.filter(slug=options["tenant"])
            if not tenants.exists():
                raise CommandError(f"no tenant with slug {options['tenant']!r}")
        for tenant in tenants:
            with audited(
                tenant=tenant, action="privacy.key.rotate", resource_type="privacy.data_key"
            ) as event:
                rewrapped = tenant_keys_rewrap(tenant=tenant)
                event.resource_id = tenant_key_rotate(tenant=tenant)
                event.details["rewrapped"] = rewrapped
        changed = 0
        for model, field in encrypted_fields():
            changed += encrypt_existing_rows(model, field)
        self.stdout.write(
            f"Rotated {tenants.count()} tenant key(s); re-encrypted {changed} value(s)."
        )
