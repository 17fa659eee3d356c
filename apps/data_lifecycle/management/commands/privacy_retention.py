"""``manage.py privacy_retention --tenant SLUG [--kind KIND --days N | --clear KIND]``.

Shows a tenant's retention period for every data kind (its policy, else the platform default),
sets one (``retention_policy_set``: validated, audited; the audit log is kept longest) or
removes a policy so the kind falls back to the platform default. ``--run`` deletes what is
past its period now, as the daily job would.
"""

from django.core.management.base import BaseCommand, CommandError
from rest_framework.exceptions import ValidationError

from apps.accounts.models import Tenant
from apps.data_lifecycle.kinds import data_kinds
from apps.data_lifecycle.retention import (
    retention_policy_clear,
    retention_policy_set,
    retention_run,
    tenant_retention_days,
)
from apps.privacy.models import RetentionPolicy


class Command(BaseCommand):
    help = (
        "Show, set or clear a tenant's retention period per data kind (days); --run deletes "
        "what is past its period now."
    )

    def add_arguments(self, parser):
        parser.add_argument("--tenant", metavar="SLUG", required=True)
        parser.add_argument("--kind", metavar="KIND", help="the data kind to set")
        parser.add_argument("--days", type=int, help="the period to set, in days (1 or more)")
        parser.add_argument("--clear", metavar="KIND", help="back to the platform default")
        parser.add_argument("--run", action="store_true", help="delete what is past its period")

    def handle(self, *args, **options):
        tenant = Tenant.objects.filter(slug=options["tenant"]).first()
        if tenant is None:
            raise CommandError(f"tenant: no tenant with slug {options['tenant']!r}")
        if (options["kind"] is None) != (options["days"] is None):
            raise CommandError("kind, days: give both to set a period")
        try:
            if options["kind"] is not None:
                retention_policy_set(tenant=tenant, data_kind=options["kind"], days=options["days"])
            if options["clear"]:
                retention_policy_clear(tenant=tenant, data_kind=options["clear"])
        except ValidationError as exc:
            raise CommandError(_fields(exc.detail)) from exc
        if options["run"]:
            counts = retention_run(tenants=[tenant])
            self.stdout.write(f"Deleted {sum(counts.values())} row(s): {counts}")
        policies = set(
            RetentionPolicy.objects.filter(tenant=tenant).values_list("data_kind", flat=True)
        )
        for name, kind in sorted(data_kinds().items()):
            days = tenant_retention_days(tenant, kind)
            shown = "kept until erased" if days is None else f"{days} days"
            self.stdout.write(f"{name}: {shown} ({'policy' if name in policies else 'default'})")


def _fields(detail) -> str:
    return "; ".join(f"{field}: {' '.join(map(str, errors))}" for field, errors in detail.items())
