"""The declaration (vertical.py) wires this vertical in exactly as the hand-written settings,
URLs and tables did before it (main 5d4ed00)."""

from datetime import timedelta

from django.conf import settings
from django.urls import resolve

from apps.accounts.domains import READ, WRITE, domain_roles
from apps.accounts.roles import Role
from apps.financial_risk.vertical import VERTICAL
from apps.jobs.access import job_access
from apps.operations import recorder


def test_settings_are_todays():
    assert settings.CELERY_BEAT_SCHEDULE["risk-monitoring"] == {
        "task": "apps.financial_risk.tasks.risk_monitoring_scheduled_task",
        "schedule": timedelta(hours=6),
    }
    assert settings.CELERY_BEAT_SCHEDULE["fraud-decisions-audit"] == {
        "task": "apps.financial_risk.tasks.fraud_decisions_audit_task",
        "schedule": timedelta(seconds=10),
    }
    enums = settings.SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"]
    assert enums["RiskModelStateEnum"] == "apps.financial_risk.models.ModelState"
    assert enums["DatasetKindEnum"] == "apps.financial_risk.models.DatasetKind"
    assert enums["FindingKindEnum"] == "apps.financial_risk.models.FindingKind"
    assert enums["TransactionChannelEnum"] == ["pos", "ecom", "atm", "moto"]
    assert settings.OPERATIONS_PANELS["drift_alerts"] == (
        "apps.financial_risk.selectors.drift_alerts_open"
    )
    assert settings.OPERATIONS_METRIC_SOURCES["platform_risk_drift_alerts_open"] == (
        "apps.financial_risk.selectors.drift_alerts_open_count"
    )
    assert "apps.financial_risk.privacy.DATA_KINDS" in settings.PRIVACY_DATA_KINDS
    assert settings.RISK_MONITORING_WINDOW_DAYS == 7
    assert settings.RISK_RING_MAX_ACCOUNTS_PER_IDENTIFIER == 8
    assert settings.FRAUD_STATE_PREFIX == "fraud"
    assert settings.FRAUD_STATE_TTL_DAYS == 35
    assert settings.FRAUD_DECISION_SYNCHRONOUS_COMMIT is False
    assert settings.FRAUD_CARD_TOKEN_KEY.startswith("card-token:")


def test_urls_roles_and_console_are_todays():
    assert resolve("/api/v1/risk/decisions/").func.cls.__module__.startswith("apps.financial_risk.")
    assert recorder.group_of("/api/v1/risk/decisions/") == "financial risk"
    assert Role.ANALYST == "analyst" and Role.ANALYST.label == "Risk analyst"
    assert domain_roles("financial_risk", READ) == {Role.ADMIN, Role.ANALYST, Role.AUDITOR}
    assert domain_roles("financial_risk", WRITE) == {Role.ADMIN, Role.ANALYST}
    assert job_access("financial_risk.train").domain == "financial_risk"
    assert VERTICAL.seed_command == "risk_seed_demo"
