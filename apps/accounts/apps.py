from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "apps.accounts"
    label = "accounts"
    verbose_name = "Accounts and tenants"

    def ready(self):
        from . import schema  # noqa: F401  registers the OpenAPI authentication extensions
        from .domains import domains_register_declared

        # The installed verticals' data domains, from their declarations.
        domains_register_declared()
