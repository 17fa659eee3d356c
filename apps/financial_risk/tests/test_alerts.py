"""Alerts that reach people (issue 22): a planted drift reaches a webhook served by a local HTTP
server and the mail outbox once, though the monitor finds it twice, and is acknowledged in the
operator console (audited); failed gates and fairness flags raise alerts, even though the refused
promotion's own writes roll back."""

from __future__ import annotations

import pytest
from django.core import mail

from apps.accounts.roles import Role
from apps.audit.models import AuditEvent
from apps.core.public_ids import user_public_id
from apps.financial_risk.models import ModelState
from apps.financial_risk.services import (
    PromotionError,
    decision_create,
    monitoring_run,
    risk_model_promote,
)
from apps.financial_risk.services.governance import risk_model_promotion_request
from apps.financial_risk.services.governance_settings import governance_settings_update
from apps.notifications.models import Alert, Delivery, DeliveryState
from apps.notifications.services import destination_create
from apps.notifications.tests.receiver import WebhookReceiver

from .factories import tiny_model, tiny_rows

pytestmark = pytest.mark.django_db


def _plant_drift(tenant) -> None:
    """Recent traffic whose debt doubled, beyond the training range (referred, so stored)."""
    governance_settings_update(tenant=tenant, values={"out_of_distribution": "refer"})
    for row in tiny_rows(n=80, seed=9):
        decision_create(
            tenant=tenant,
            applicant={
                "income": row["income"],
                "debt": row["debt"] * 2 + 3000,
                "region": row["region"],
            },
        )


def test_a_planted_drift_reaches_the_webhook_and_the_mail_once_and_is_acknowledged(
    tenant, champion, client, make_member, make_api_client, django_capture_on_commit_callbacks
):
    with WebhookReceiver() as hook:
        # The tenant's routing: every alert to the on-call webhook, the risk monitor's alerts
        # of warning and above to the risk team's mail; handoffs go elsewhere.
        destination_create(tenant=tenant, kind="webhook", url=hook.url, topics=["alert.*"])
        destination_create(
            tenant=tenant,
            kind="email",
            emails=["risk-team@example.com"],
            topics=["alert.financial_risk.*"],
            min_severity="warning",
        )
        destination_create(
            tenant=tenant,
            kind="email",
            emails=["agents@example.com"],
            topics=["customer_service.handoff"],
        )
        _plant_drift(tenant)
        with django_capture_on_commit_callbacks(execute=True):
            first = monitoring_run(tenant=tenant, model=champion)
            second = monitoring_run(tenant=tenant, model=champion)
        assert first["alerts"]["alert"] >= 1 and second["alerts"]["alert"] >= 1

        # Raised twice, one open alert counted twice, delivered once to each destination.
        alert = Alert.objects.get(tenant=tenant)
        assert (alert.source, alert.severity) == ("financial_risk.drift", "critical")
        assert alert.count == 2
        assert alert.domain == "financial_risk" and "debt" in str(alert.details["findings"])
        assert len(hook.bodies) == 1
        sent = hook.bodies[0]
        assert sent["topic"] == "alert.financial_risk.drift"
        assert sent["payload"]["alert"] == str(alert.pk)
        assert sent["payload"]["severity"] == "critical"
        assert sent["subject"].startswith("[CRITICAL] Drift on tiny:v")
        assert [m.to for m in mail.outbox] == [["risk-team@example.com"]]
        assert mail.outbox[0].subject == sent["subject"]
        assert sorted(Delivery.objects.values_list("state", flat=True)) == [DeliveryState.SENT] * 2

        # The console lists it with an Acknowledge button for the tenant's admin.
        client.force_login(make_member(tenant, Role.ADMIN))
        page = client.get("/ops/alerts/").content.decode()
        assert f'data-alert="{alert.pk}"' in page and "Acknowledge" in page
        acked = client.post(f"/ops/alerts/{alert.pk}/acknowledge/")
        assert acked.status_code == 302 and acked["Location"] == "/ops/alerts/"
        alert.refresh_from_db()
        assert alert.acknowledged_at is not None and alert.acknowledged_by is not None
        event = AuditEvent.objects.get(action="notifications.alert.acknowledge")
        assert event.resource_id == str(alert.pk) and event.actor_kind == "user"
        assert event.actor_id == user_public_id(alert.acknowledged_by_id)
        page = client.get("/ops/alerts/").content.decode()
        assert "No open alert." in page

        # The analysts (who read the financial-risk domain) see it acknowledged over the API.
        listed = make_api_client(tenant, Role.ANALYST).get(
            "/api/v1/notifications/alerts/", {"acknowledged": "true"}
        )
        assert [a["id"] for a in listed.json()["results"]] == [str(alert.pk)]

        # Drift found again after the acknowledgement opens a new alert; within the
        # deduplication window the notification service does not send the same key again.
        with django_capture_on_commit_callbacks(execute=True):
            monitoring_run(tenant=tenant, model=champion)
        assert Alert.objects.filter(tenant=tenant, acknowledged_at__isnull=True).count() == 1
        assert len(hook.bodies) == 1 and len(mail.outbox) == 1


def test_failed_gates_and_a_fairness_flag_raise_alerts(tenant, dataset, champion):
    challenger = tiny_model(tenant, dataset=dataset)
    # A challenger must beat the champion by a margin it cannot, and every protected
    # attribute's disparate impact must reach 0.99.
    governance_settings_update(
        tenant=tenant,
        values={"auc_margin": -0.05, "brier_margin": -0.05, "disparate_impact_floor": 0.99},
    )
    for _ in range(2):
        with pytest.raises(PromotionError):
            risk_model_promote(tenant=tenant, model=challenger, state=ModelState.CHALLENGER)
    alerts = {a.source: a for a in Alert.objects.filter(tenant=tenant)}
    assert set(alerts) == {"financial_risk.gate", "financial_risk.fairness"}
    gate, fairness = alerts["financial_risk.gate"], alerts["financial_risk.fairness"]
    assert (gate.severity, gate.count, gate.domain) == ("warning", 2, "financial_risk")
    assert "auc" in gate.title and "brier" in gate.title and "challenger" in gate.title
    assert (fairness.severity, fairness.count) == ("critical", 2)
    assert "disparate impact" in fairness.title
    assert fairness.details["gate"]["threshold"] == 0.99
    # The refused promotion's own writes rolled back: still a draft.
    challenger.refresh_from_db()
    assert challenger.state == ModelState.DRAFT


def test_a_promotion_request_with_failing_gates_alerts_before_approval(
    tenant, dataset, make_member
):
    model = tiny_model(tenant, dataset=dataset)
    governance_settings_update(tenant=tenant, values={"disparate_impact_floor": 0.99})
    risk_model_promotion_request(
        tenant=tenant,
        model=model,
        state=ModelState.CHAMPION,
        requested_by=make_member(tenant, Role.ANALYST),
    )
    fairness = Alert.objects.get(tenant=tenant, source="financial_risk.fairness")
    assert fairness.details["to"] == ModelState.CHAMPION and fairness.count == 1
