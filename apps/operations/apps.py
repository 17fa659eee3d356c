"""Operations console."""

from django.apps import AppConfig


class OperationsConfig(AppConfig):
    name = "apps.operations"
    label = "operations"
    verbose_name = "Operations console"

    def ready(self):
        from django.contrib import admin

        # control registers the worker-side inspect command (in workers too: they set up
        # Django); metrics adds the database-read gauges of the web's /metrics (workers drop
        # them when they start).
        from . import control, metrics  # noqa: F401  (control registers itself)

        metrics.register()

        # The admin index links to the console; admin/index.html itself cannot be overridden
        # from an app listed after django.contrib.admin.
        admin.site.index_template = "operations/admin_index.html"
