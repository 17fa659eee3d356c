from django.apps import AppConfig

from apps.privacy import logging as pii_logging


class PrivacyConfig(AppConfig):
    """Personal-data detection and masking; routes loguru output through the masking filter."""

    name = "apps.privacy"
    label = "privacy"
    verbose_name = "Privacy"

    def ready(self) -> None:
        """Send loguru records (PyRuSH logs through loguru) to the standard logging handlers."""
        pii_logging.route_loguru_to_logging()
        from . import checks  # noqa: F401  (registers the key-service checks)
