"""How to make one row of each tenant-owned model for a given tenant.

The isolation tests create one row per tenant for the model behind every API route and every
admin, and fail for a model missing here: a new model must say how to make one.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable

from apps.accounts.roles import Role


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


def _job(tenant):
    from apps.jobs.models import Job

    return Job.objects.create(tenant=tenant, kind="isolation.test", task_name="none")


def _financial_risk_factories() -> dict[str, Callable]:
    """Real rows made through the vertical's services (apps/financial_risk/tests/factories.py)."""

    def lazy(name):
        def make(tenant):
            from apps.financial_risk.tests import factories

            return getattr(factories, name)(tenant)

        return make

    return {
        "financial_risk.dataset": lazy("tiny_dataset"),
        "financial_risk.riskmodel": lazy("tiny_model"),
        "financial_risk.decision": lazy("decision"),
        "financial_risk.batchscoring": lazy("batch_scoring"),
        "financial_risk.monitoringfinding": lazy("finding"),
        "financial_risk.fraudring": lazy("ring"),
        "financial_risk.riskaccount": lazy("account"),
        "financial_risk.transaction": lazy("transaction"),
        "financial_risk.frauddecision": lazy("fraud_decision"),
    }


def _customer_service_factories() -> dict[str, Callable]:
    """apps/customer_service/tests/factories.py."""

    def lazy(name):
        def make(tenant):
            from apps.customer_service.tests import factories

            return getattr(factories, name)(tenant)

        return make

    return {
        "customer_service.intent": lazy("intent"),
        "customer_service.trainingexample": lazy("training_example"),
        "customer_service.intentmodel": lazy("intent_model"),
        "customer_service.conversation": lazy("conversation"),
        "customer_service.turn": lazy("turn"),
        "customer_service.handoff": lazy("handoff"),
        "customer_service.rating": lazy("rating"),
        "customer_service.reviewitem": lazy("review_item"),
        "customer_service.ratingsreport": lazy("ratings_report"),
        "customer_service.demoorder": lazy("demo_order"),
        "customer_service.document": lazy("document"),
        "customer_service.connector": lazy("connector"),
        "customer_service.assistantsettings": lazy("assistant_settings"),
        "notifications.destination": lazy("notification_destination"),
        "notifications.delivery": lazy("notification_delivery"),
    }


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


def _adaptation_factories() -> dict[str, Callable]:
    """Training sets and adapter versions (apps/adaptation/tests/factories.py)."""

    def lazy(name):
        def make(tenant):
            from apps.adaptation.tests import factories

            return getattr(factories, name)(tenant)

        return make

    return {
        "adaptation.trainingset": lazy("training_set"),
        "adaptation.adapterversion": lazy("adapter_version"),
    }


def _medical_records_factories() -> dict[str, Callable]:
    """Rows made through the medical vertical's services (apps/medical_records/tests/
    factories.py): a de-identified, structured note and what hangs off it."""

    def lazy(name):
        def make(tenant):
            from apps.medical_records.tests import factories

            return getattr(factories, name)(tenant)

        return make

    return {
        "medical_records.note": lazy("note"),
        "medical_records.extraction": lazy("extraction"),
        "medical_records.finding": lazy("finding"),
        "medical_records.notebatch": lazy("batch"),
        "medical_records.patient": lazy("patient"),
        "medical_records.pseudonymentry": lazy("pseudonym"),
        "medical_records.checkruleset": lazy("check_set"),
        "medical_records.reidentificationgrant": lazy("grant"),
        "medical_records.correction": lazy("correction"),
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
    **_knowledge_factories(),
    **_financial_risk_factories(),
    **_adaptation_factories(),
    **_customer_service_factories(),
    **_medical_records_factories(),
}


def make_row(model, tenant):
    label = model._meta.label_lower
    if label not in FACTORIES:
        raise AssertionError(
            f"No isolation factory for {label}: add one to tests/isolation_registry.py so the "
            "tenant-isolation tests cover it."
        )
    return FACTORIES[label](tenant)
