"""The declaration (vertical.py) wires this vertical in exactly as the hand-written settings,
URLs and tables did before it (main 5d4ed00)."""

import environ
from celery.schedules import crontab
from django.conf import settings
from django.urls import resolve

from apps.accounts.domains import READ, WRITE, domain_roles
from apps.accounts.roles import Role
from apps.customer_service.vertical import VERTICAL
from apps.jobs.access import job_access
from apps.operations import activity, recorder


def test_settings_are_todays():
    assert settings.CELERY_BEAT_SCHEDULE["customer-service-ratings-report"] == {
        "task": "apps.customer_service.tasks.ratings_weekly_report_task",
        "schedule": crontab(minute=0, hour=6, day_of_week="mon"),
    }
    enums = settings.SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"]
    assert {name: enums[name] for name in VERTICAL.enum_overrides} == {
        "ConversationStatusEnum": "apps.customer_service.models.ConversationStatus",
        "DemoOrderStatusEnum": "apps.customer_service.models.OrderStatus",
        "CorrectionKindEnum": "apps.customer_service.models.CorrectionKind",
        "HandoffStateEnum": "apps.customer_service.models.HandoffState",
        "ReviewStateEnum": "apps.customer_service.models.ReviewState",
        "ConnectorKindEnum": "apps.customer_service.assistant_models.ConnectorKind",
    }
    assert settings.OPERATIONS_PANELS["handoffs"] == (
        "apps.customer_service.selectors.handoff_queue_open"
    )
    assert "apps.customer_service.privacy.DATA_KINDS" in settings.PRIVACY_DATA_KINDS
    assert settings.ADAPTATION_PAIR_SOURCES == [
        "apps.customer_service.selectors.approved_training_pairs"
    ]
    # The defaults (this folder's conftest lowers the token budget for speed).
    assert VERTICAL.settings(environ.Env(), {}) == {
        "CUSTOMER_SERVICE_REPLY_MAX_NEW_TOKENS": 80,
        "CUSTOMER_SERVICE_RETRIEVAL_THRESHOLD": 0.3,
        "CUSTOMER_SERVICE_MIN_SEMANTIC": 0.3,
        "CUSTOMER_SERVICE_MODEL_CACHE": True,
        "CUSTOMER_SERVICE_CONNECTOR_ALLOWED_HOSTS": ["127.0.0.1", "localhost"],
        "CUSTOMER_SERVICE_CONNECTOR_SECRETS": [],
        "CUSTOMER_SERVICE_DEMO_ORDER_API_PORT": 8765,
    }


def test_urls_roles_and_console_are_todays():
    api = resolve("/api/v1/customer-service/conversations/")
    assert api.func.cls.__module__.startswith("apps.customer_service.")
    assert resolve("/customer-service/chat/").func.__module__.startswith("apps.customer_service.")
    assert recorder.group_of("/api/v1/customer-service/handoffs/") == "customer service"
    assert activity.vertical_of("customer_service.turn.create") == "customer service"
    assert Role.AGENT == "agent" and Role.AGENT.label == "Customer-service agent"
    assert domain_roles("customer_service", READ) == {Role.ADMIN, Role.AGENT, Role.AUDITOR}
    assert domain_roles("customer_service", WRITE) == {Role.ADMIN, Role.AGENT}
    assert job_access("customer_service.train").domain == "customer_service"
