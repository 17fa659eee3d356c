"""``manage.py privacy_export --tenant SLUG --output FILE.zip``: everything of one tenant."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from apps.accounts.models import Tenant
from apps.data_lifecycle.export import tenant_export


class Command(BaseCommand):
    help = (
        "Write one tenant's data as a zip: <table>.jsonl per table (one JSON object per line, "
        "encrypted fields in clear), tenant.json and README.txt. Audited."
    )

    def add_arguments(self, parser):
        parser.add_argument("--tenant", metavar="SLUG", required=True)
        parser.add_argument("--output", metavar="FILE", required=True)

    def handle(self, *args, **options):
        tenant = Tenant.objects.filter(slug=options["tenant"]).first()
        if tenant is None:
            raise CommandError(f"no tenant with slug {options['tenant']!r}")
        counts = tenant_export(tenant=tenant, path=Path(options["output"]))
        self.stdout.write(f"Exported {sum(counts.values())} row(s) in {len(counts)} table(s).")
