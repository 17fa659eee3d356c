from django.apps import AppConfig


class RegistryConfig(AppConfig):
    name = "apps.registry"
    label = "registry"
    verbose_name = "Model registry"

    def ready(self):
        # Registers the system check that every concrete versioned model declares the
        # registry's constraints (checks are registered when their module is imported).
        from . import checks  # noqa: F401
