from django.apps import AppConfig


class AdaptationConfig(AppConfig):
    name = "apps.adaptation"
    label = "adaptation"
    verbose_name = "Domain adaptation (LoRA)"

    def ready(self):
        # Register the tasks in every process (jobs are sent by name; in-process mode must
        # find them). tasks.py imports no torch: the training code loads it when it runs.
        from . import tasks  # noqa: F401
        from .four_eyes import register as four_eyes_register

        four_eyes_register()
