"""The declaration (vertical.py) wires this app in exactly as the hand-written settings, URLs,
Celery route and tables did before it (main 5d4ed00)."""

from django.conf import settings
from django.urls import resolve

from apps.accounts.roles import Role
from apps.jobs.access import job_access
from apps.operations import activity, recorder
from config.celery import app


def test_settings_and_route_are_todays():
    assert settings.SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"]["AdapterStateEnum"] == (
        "apps.adaptation.models.AdapterState"
    )
    assert settings.MODELS_RUNTIME_ADAPTER_HOOK == "apps.adaptation.selectors.adapter_for_serving"
    assert settings.ADAPTATION_FAQ_GRAPH == "shop"
    assert "apps.adaptation.privacy.DATA_KINDS" in settings.PRIVACY_DATA_KINDS
    route = app.amqp.router.route({}, "apps.adaptation.tasks.adapter_train_task")
    assert route["queue"].name == "training"


def test_urls_roles_and_console_are_todays():
    assert resolve("/api/v1/adaptation/adapters/").func.cls.__module__.startswith(
        "apps.adaptation."
    )
    assert recorder.group_of("/api/v1/adaptation/adapters/") == "adaptation"
    assert activity.vertical_of("adaptation.adapter.train") == "adaptation"
    access = job_access("adaptation.train")
    assert access.roles("read") == {Role.ADMIN, Role.ANALYST, Role.AUDITOR}
    assert access.roles("cancel") == {Role.ADMIN, Role.ANALYST}
