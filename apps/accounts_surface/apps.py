from django.apps import AppConfig


class AccountsSurfaceConfig(AppConfig):
    """Registers the accounts admin (admin autodiscovery) for the models of ``apps.accounts``."""

    name = "apps.accounts_surface"
    label = "accounts_surface"
    verbose_name = "Accounts and tenants (API and admin)"
