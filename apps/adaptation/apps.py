from django.apps import AppConfig


class AdaptationConfig(AppConfig):
    name = "apps.adaptation"
    label = "adaptation"
    verbose_name = "Domain adaptation (LoRA)"
