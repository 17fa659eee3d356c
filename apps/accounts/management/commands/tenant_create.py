"""``manage.py tenant_create NAME --admin USERNAME [--slug S] [--email E] [--quota metric=N]
[--demo]``: onboard a tenant (apps/accounts/onboarding.py). Prints the tenant, the invitation and,
for an administrator account created now, its first password (once). ``--demo`` then seeds the
verticals' demo content into it (``tenant_demo_content``, called by name: it lives in a layer
above accounts)."""

from __future__ import annotations

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from apps.accounts.onboarding import OnboardingError, tenant_onboard


def _quota(text: str) -> tuple[str, int]:
    metric, _, limit = text.partition("=")
    try:
        return metric.strip(), int(limit)
    except ValueError:
        raise CommandError(f"--quota {text!r}: expected metric=number") from None


class Command(BaseCommand):
    help = "Create a tenant, invite its first administrator and set its own quotas."

    def add_arguments(self, parser):
        parser.add_argument("name", help="the tenant's display name")
        parser.add_argument("--admin", required=True, help="username of its first administrator")
        parser.add_argument("--slug", default=None, help="URL name (default: from the name)")
        parser.add_argument("--email", default="", help="e-mail of an administrator created now")
        parser.add_argument(
            "--quota",
            action="append",
            default=[],
            type=_quota,
            help="metric=limit, repeatable (default: the platform's DEFAULT_TENANT_QUOTAS)",
        )
        parser.add_argument(
            "--demo", action="store_true", help="also seed each vertical's demo content"
        )

    def handle(self, *args, name, admin, slug, email, quota, demo, **options):
        try:
            done = tenant_onboard(
                name=name, slug=slug, admin_username=admin, admin_email=email, quotas=dict(quota)
            )
        except OnboardingError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"Tenant: {done.tenant.slug} ({done.tenant.name})")
        self.stdout.write(
            f"Invited {done.admin_username} as admin: they accept at /accounts/invitations/ "
            "after signing in."
        )
        if done.first_password is not None:
            self.stdout.write(
                f"New account {done.admin_username}, first password (shown once): "
                f"{done.first_password}"
            )
        if demo:
            call_command(
                "tenant_demo_content", done.tenant.slug, stdout=self.stdout, stderr=self.stderr
            )
