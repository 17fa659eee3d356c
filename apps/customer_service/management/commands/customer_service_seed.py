"""``manage.py customer_service_seed --tenant demo``: the shop graph with node embeddings, the
demo intents (train and held-out examples), demo orders and a trained intent model, so that the
assistant answers at once (``make run`` calls it). Idempotent. Model calls run in this process
(``make run`` seeds before it starts the workers)."""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandError

from apps.accounts.models import Tenant
from apps.core.context import Actor, actor_scope
from apps.customer_service.services import demo_setup
from apps.customer_service.services.embedding import models_in_process


class Command(BaseCommand):
    help = "Load the customer-service demo (intents, training, orders, shop graph) into a tenant."

    def add_arguments(self, parser):
        parser.add_argument("--tenant", default="demo")

    def handle(self, *args, tenant, **options):
        found = Tenant.objects.filter(slug=tenant).first()
        if found is None:
            raise CommandError(f"no tenant {tenant!r}")
        with actor_scope(Actor("system", label="customer_service_seed")), models_in_process():
            result = demo_setup(tenant=found)
        self.stdout.write(json.dumps(result, separators=(",", ":")))
