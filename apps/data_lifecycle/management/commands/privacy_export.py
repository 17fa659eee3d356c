"""``manage.py privacy_export --tenant SLUG [--output FILE.zip]``: everything of one tenant.

Without ``--output`` the archive goes under PRIVACY_EXPORT_ROOT, where a later erasure of a
data subject finds it (``apps.data_lifecycle.files``); elsewhere it is the operator's to keep."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from apps.accounts.models import Tenant
from apps.data_lifecycle.export import tenant_export
from apps.data_lifecycle.files import export_root


class Command(BaseCommand):
    help = (
        "Write one tenant's data as a zip: <table>.jsonl per table (one JSON object per line, "
        "encrypted fields in clear), tenant.json and README.txt. Audited."
    )

    def add_arguments(self, parser):
        parser.add_argument("--tenant", metavar="SLUG", required=True)
        parser.add_argument(
            "--output",
            metavar="FILE",
            help="default: PRIVACY_EXPORT_ROOT/<tenant id>-<UTC time>.zip (found by erasures)",
        )

    def handle(self, *args, **options):
        tenant = Tenant.objects.filter(slug=options["tenant"]).first()
        if tenant is None:
            raise CommandError(f"no tenant with slug {options['tenant']!r}")
        stamp = timezone.now().strftime("%Y%m%dT%H%M%S%fZ")  # two in a second: two files
        path = Path(options["output"] or export_root() / f"{tenant.pk}-{stamp}.zip")
        counts = tenant_export(tenant=tenant, path=path)
        self.stdout.write(
            f"Exported {sum(counts.values())} row(s) in {len(counts)} table(s) to {path}."
        )
