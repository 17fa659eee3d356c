from django.apps import AppConfig


class ThrowawayConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "tests.throwaway_vertical"
    label = "throwaway"
