"""``manage.py tenant_demo_content SLUG``: seed every vertical's demo content into a tenant (each
vertical's declared seed command, idempotent), in this process, printing their progress. The
admin's onboarding page runs the same as a job; ``tenant_create --demo`` calls this."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from apps.accounts.models import Tenant
from apps.accounts_surface.demo_content import tenant_demo_content


class Command(BaseCommand):
    help = "Seed the verticals' demo content into a tenant."

    def add_arguments(self, parser):
        parser.add_argument("slug", help="the tenant's slug")

    def handle(self, *args, slug, **options):
        tenant = Tenant.objects.filter(slug=slug).first()
        if tenant is None:
            raise CommandError(f"slug: no tenant {slug!r}")

        def progress(done, total, message):
            self.stderr.write(f"[{done}/{total}] {message}")

        seeded = tenant_demo_content(tenant=tenant, progress=progress)
        for vertical, last_line in seeded.items():
            self.stdout.write(f"{vertical}: {last_line}")
