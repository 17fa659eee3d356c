"""``manage.py customer_service_seed --tenant demo [--profile outdoor|books] [--create NAME]``:
a demo shop's assistant settings, help-centre documents with embeddings, connector or orders,
the demo intents and a trained intent model, so that the assistant answers at once (``make run``
seeds the outdoor shop into ``demo`` and the bookshop into ``books``). Idempotent. Model calls
run in this process (``make run`` seeds before it starts the workers). ``--create`` makes the
tenant when it is missing and gives the demo admin and agent (when they exist) their roles."""

from __future__ import annotations

import json

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from apps.accounts.models import Tenant
from apps.accounts.roles import Role
from apps.accounts.services import membership_set, tenant_create
from apps.core.context import Actor, actor_scope
from apps.customer_service.services import demo_setup
from apps.customer_service.services.demo import PROFILES
from apps.customer_service.services.embedding import models_in_process


class Command(BaseCommand):
    help = "Load a customer-service demo shop (settings, documents, orders, intents) into a tenant."

    def add_arguments(self, parser):
        parser.add_argument("--tenant", default="demo")
        parser.add_argument("--profile", default="outdoor", choices=PROFILES)
        parser.add_argument("--create", default="", help="the tenant's name, to create it")

    def handle(self, *args, tenant, profile, create, **options):
        found = Tenant.objects.filter(slug=tenant).first()
        if found is None and create:
            found = tenant_create(name=create, slug=tenant)
            users = get_user_model().objects.filter(username__in=["demo-admin", "demo-agent"])
            for user in users:
                role = Role.ADMIN if user.username == "demo-admin" else Role.AGENT
                membership_set(tenant=found, user=user, role=role)
        if found is None:
            raise CommandError(f"no tenant {tenant!r} (give --create NAME to make it)")
        with actor_scope(Actor("system", label="customer_service_seed")), models_in_process():
            result = demo_setup(tenant=found, profile=profile)
        self.stdout.write(json.dumps(result, separators=(",", ":")))
