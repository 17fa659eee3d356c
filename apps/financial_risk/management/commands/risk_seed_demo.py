"""``manage.py risk_seed_demo [--tenant demo]``: German credit with a trained champion and the
fraud demo in the demo tenant (run by ``make run`` after ``seed_demo``; idempotent)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from apps.accounts.models import Tenant
from apps.core.context import Actor, actor_scope
from apps.financial_risk.services.demo import risk_demo_seed


class Command(BaseCommand):
    help = "Load the financial-risk demo (German credit champion, fraud rings); idempotent."

    def add_arguments(self, parser):
        parser.add_argument("--tenant", default="demo", help="tenant slug (default: demo)")

    def handle(self, *args, tenant: str, **options):
        found = Tenant.objects.filter(slug=tenant).first()
        if found is None:
            raise CommandError(f"no tenant {tenant!r}: run seed_demo first")
        with actor_scope(Actor("system", label="risk_seed_demo")):
            summary = risk_demo_seed(tenant=found, log=lambda line: self.stderr.write(line))
        self.stdout.write(
            f"Financial risk demo: champion {summary['champion']} (id {summary['champion_id']}, "
            f"CV AUC {summary['cv_auc']})"
        )
