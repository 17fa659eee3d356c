"""Create (idempotently) the demo tenant, one user per role and a demo API key."""

from __future__ import annotations

import os
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from apps.accounts.models import Tenant
from apps.accounts.roles import Role
from apps.accounts.selectors import api_key_for_token, api_key_problem
from apps.accounts.services import api_key_create, membership_set

DEMO_PASSWORD = "demo-password-2026"
DEMO_TENANT = "demo"


class Command(BaseCommand):
    help = "Create the demo tenant, a user per role, a superuser and an API key (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--key-file",
            default=str(Path(settings.BASE_DIR) / "var" / "demo_api_key"),
            help="Where the demo API key's secret is kept between runs (mode 0600).",
        )
        parser.add_argument(
            "--force", action="store_true", help="Allow seeding with DEBUG off (never in prod)."
        )

    def handle(self, *args, key_file: str, force: bool, **options):
        if not settings.DEBUG and not force:
            raise CommandError("seed_demo creates known passwords: it runs only with DEBUG on.")
        with transaction.atomic():
            tenant, _ = Tenant.objects.get_or_create(
                slug=DEMO_TENANT, defaults={"name": "Demo Organisation"}
            )
            users = {role: self._user(f"demo-{role}") for role in Role.values}
            for role, user in users.items():
                membership_set(tenant=tenant, user=user, role=role)
            superuser = self._user("demo-superuser", superuser=True)
        token = self._api_key(tenant, Path(key_file), created_by=users[Role.ADMIN])

        self.stdout.write(f"Demo tenant: {tenant.slug}")
        for role in Role.values:
            self.stdout.write(f"  demo-{role:<10} / {DEMO_PASSWORD}   (role: {role})")
        self.stdout.write(f"  {superuser.username} / {DEMO_PASSWORD}   (superuser)")
        self.stdout.write(f"DEMO_API_KEY={token}")

    def _user(self, username: str, superuser: bool = False):
        user, created = get_user_model().objects.get_or_create(
            username=username,
            defaults={"is_staff": True, "is_superuser": superuser, "email": ""},
        )
        if created or not user.check_password(DEMO_PASSWORD):
            user.set_password(DEMO_PASSWORD)
            user.save()
        return user

    def _api_key(self, tenant, path: Path, created_by) -> str:
        """Reuse the key saved by an earlier run if it still works; else issue a new one."""
        if path.exists():
            token = path.read_text().strip()
            api_key = api_key_for_token(token)
            if (
                api_key is not None
                and api_key.tenant_id == tenant.pk
                and not api_key_problem(api_key)
            ):
                return token
        created = api_key_create(
            tenant=tenant, name="demo admin key", role=Role.ADMIN, created_by=created_by
        )
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(created.token + "\n")
        os.chmod(path, 0o600)
        return created.token
