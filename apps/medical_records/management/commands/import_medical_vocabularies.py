"""``manage.py import_medical_vocabularies [--tenant SLUG]``: load the full ICD-10-CM and drug
vocabularies into the tenant's ``medical`` graph (default: a tenant of its own,
"medical-vocabularies") and print the counts per code system and the import rate as JSON."""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandError

from apps.accounts.benchmark import bench_tenant
from apps.accounts.models import Tenant
from apps.medical_records.services.vocabularies import medical_vocabularies_import


class Command(BaseCommand):
    help = "Import the full medical vocabularies into a tenant's medical knowledge graph."

    def add_arguments(self, parser):
        parser.add_argument(
            "--tenant", default="", help="tenant slug (default: medical-vocabularies)"
        )

    def handle(self, *args, tenant, **options):
        if tenant:
            found = Tenant.objects.filter(slug=tenant).first()
            if found is None:
                raise CommandError(f"--tenant: no tenant with slug {tenant!r}")
        else:
            found = bench_tenant(slug="medical-vocabularies", name="Medical vocabularies")
        self.stdout.write(json.dumps(medical_vocabularies_import(tenant=found)))
