"""How to make one row of each tenant-owned model for a given tenant.

The isolation tests create one row per tenant for the model behind every API route and every
admin, and fail for a model missing here: a new model must say how to make one. A vertical's
models say it in its declaration (``isolation_factories``), read through ``vertical_factories``.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable

from django.utils.module_loading import import_string

from apps.accounts.roles import Role
from apps.core.verticals import installed


def _membership(tenant):
    from apps.accounts.tests.factories import MembershipFactory

    return MembershipFactory(tenant=tenant, role=Role.AGENT)


def _api_key(tenant):
    from apps.accounts.services import api_key_create

    return api_key_create(tenant=tenant, name="isolation key", role=Role.ANALYST).api_key


def _invitation(tenant):
    from datetime import timedelta

    from django.utils import timezone

    from apps.accounts.models import Invitation
    from apps.accounts.tests.factories import UserFactory

    return Invitation.objects.create(
        tenant=tenant,
        user=UserFactory(),
        role=Role.AGENT,
        expires_at=timezone.now() + timedelta(days=1),
    )


def _quota(tenant):
    from apps.accounts.models import Quota

    return Quota.objects.create(tenant=tenant, metric="model_tokens_per_day", limit=123)


def _usage(tenant):
    from django.utils import timezone

    from apps.accounts.models import UsageCounter

    return UsageCounter.objects.create(
        tenant=tenant, metric="compute_seconds_per_day", day=timezone.now().date(), value=7
    )


def _audit_event(tenant):
    from apps.audit.services import audit_event_record

    return audit_event_record(tenant=tenant, action="isolation.test", resource_type="test")


def _audit_checkpoint(tenant):
    from apps.audit.services import audit_checkpoint_create

    _audit_event(tenant)
    return audit_checkpoint_create(tenant=tenant)[0]


def _erasure_request(tenant):
    from apps.accounts.tests.factories import MembershipFactory
    from apps.data_lifecycle.erasure import erasure_request_create

    requester = MembershipFactory(tenant=tenant, role=Role.ADMIN).user
    return erasure_request_create(
        tenant=tenant, requested_by=requester, scope="tenant", reason="isolation test"
    )


def _notification_destination(tenant):
    from apps.notifications.services import destination_create

    return destination_create(tenant=tenant, kind="email", emails=["agents@example.com"])


def _notification_delivery(tenant):
    from apps.notifications.models import Delivery

    return Delivery.objects.create(
        tenant=tenant,
        destination=_notification_destination(tenant),
        topic="isolation",
        dedup_key=uuid.uuid4().hex,
        subject="isolation",
    )


def _notification_alert(tenant):
    from apps.notifications.alerts import alert_raise

    return alert_raise(
        tenant=tenant,
        source="isolation.test",
        severity="warning",
        title="isolation",
        dedup_key=uuid.uuid4().hex,
    )


def _job(tenant):
    from apps.jobs.models import Job

    return Job.objects.create(tenant=tenant, kind="isolation.test", task_name="none")


def _knowledge_factories() -> dict[str, Callable]:
    """A graph with two nodes and an edge, made through knowledge.services."""

    def graph(tenant):
        from knowledge.services import graph_create, graph_upsert

        # A fresh name each time: the walkers make several rows per tenant.
        made = graph_create(tenant=tenant, name=f"isolation-{tenant.slug}-{uuid.uuid4().hex[:8]}")
        graph_upsert(
            graph=made,
            nodes=[{"key": "n1", "type": "thing"}, {"key": "n2", "type": "thing"}],
            edges=[{"source": "n1", "target": "n2", "type": "linked"}],
        )
        return made

    def node(tenant):
        return graph(tenant).nodes.get(key="n1")

    def edge(tenant):
        return graph(tenant).edges.get()

    def upload(tenant):
        from knowledge.models import ImportUpload

        return ImportUpload.objects.create(graph=graph(tenant), format="csv", files={})

    return {
        "knowledge.graph": graph,
        "knowledge.node": node,
        "knowledge.edge": edge,
        "knowledge.importupload": upload,
    }


FACTORIES: dict[str, Callable] = {
    "accounts.tenant": lambda tenant: tenant,
    "accounts.membership": _membership,
    "accounts.apikey": _api_key,
    "accounts.invitation": _invitation,
    "accounts.quota": _quota,
    "accounts.usagecounter": _usage,
    "audit.auditevent": _audit_event,
    "audit.auditcheckpoint": _audit_checkpoint,
    "jobs.job": _job,
    "privacy.erasurerequest": _erasure_request,
    "notifications.destination": _notification_destination,
    "notifications.delivery": _notification_delivery,
    "notifications.alert": _notification_alert,
    **_knowledge_factories(),
}


def _lazy(path: str) -> Callable:
    """A factory imported when first called: a vertical's test factories import its models."""

    def make(tenant):
        return import_string(path)(tenant)

    return make


def vertical_factories() -> dict[str, Callable]:
    """Every installed vertical's factories, as its declaration names them
    (``isolation_factories``)."""
    return {
        label: _lazy(vertical.path(path))
        for vertical in installed()
        for label, path in vertical.isolation_factories.items()
    }


def make_row(model, tenant):
    label = model._meta.label_lower
    factories = {**FACTORIES, **vertical_factories()}
    if label not in factories:
        raise AssertionError(
            f"No isolation factory for {label}: add one to tests/isolation_registry.py (or to "
            "the vertical's declaration, isolation_factories) so the tenant-isolation tests "
            "cover it."
        )
    return factories[label](tenant)
