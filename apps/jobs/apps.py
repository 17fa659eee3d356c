from django.apps import AppConfig


class JobsConfig(AppConfig):
    name = "apps.jobs"
    label = "jobs"
    verbose_name = "Background jobs"

    def ready(self):
        from .access import job_access_register_declared

        # The installed verticals' job kinds, from their declarations.
        job_access_register_declared()
