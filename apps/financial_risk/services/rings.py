"""Fraud rings: the account–device–IP–phone–card graph lives in the knowledge layer
(``knowledge.services.graph_upsert``, one graph named ``fraud`` per tenant); rings are its
connected components over shared identifiers, hubs ignored (``ml.rings``)."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist
from django.db import transaction

from apps.audit.services import audited
from apps.financial_risk.engine import pictures
from apps.financial_risk.engine.rings import (
    ACCOUNT,
    account_key,
    find_rings,
    identifier_key,
)
from apps.financial_risk.models import FraudRing, RiskAccount, Transaction
from apps.jobs.models import Job
from apps.jobs.services import job_create
from knowledge.selectors import graph_get, graph_networkx
from knowledge.services import graph_upsert, seed_graph_ensure

FRAUD_GRAPH = "fraud"
RINGS_JOB_KIND = "financial_risk.rings"
RINGS_TASK_NAME = "apps.financial_risk.tasks.fraud_rings_detect_task"
TRANSACTION_FIELDS = {"device": "device_id", "ip": "ip_address", "phone": "phone", "card": "card"}


def fraud_graph_build(*, tenant):
    """Upsert every account and the identifiers its transactions used into the tenant's
    ``fraud`` graph (idempotent: unchanged rows are not rewritten). Returns the graph."""
    # The knowledge layer's seed defines the graph and its schema (account, device, ip,
    # phone, card, merchant); this vertical fills it.
    graph, _ = seed_graph_ensure(tenant=tenant, seed="financial_risk")
    nodes: dict[str, dict] = {}
    edges: dict[tuple, dict] = {}
    for account in RiskAccount.objects.filter(tenant=tenant).values(
        "external_id", "confirmed_fraud"
    ):
        key = account_key(account["external_id"])
        nodes[key] = {
            "key": key,
            "type": ACCOUNT,
            "label": account["external_id"],
            "properties": {"confirmed_fraud": account["confirmed_fraud"]},
        }
    seen = (
        Transaction.objects.filter(tenant=tenant)
        .values_list("account__external_id", *TRANSACTION_FIELDS.values())
        .distinct()
    )
    for external_id, *values in seen.iterator(chunk_size=10_000):
        source = account_key(external_id)
        for kind, value in zip(TRANSACTION_FIELDS, values, strict=True):
            if not value:
                continue
            target = identifier_key(kind, value)
            nodes.setdefault(target, {"key": target, "type": kind, "label": value})
            edges[(source, kind, target)] = {
                "source": source,
                "target": target,
                "type": f"uses_{kind}",
            }
    graph_upsert(graph=graph, nodes=list(nodes.values()), edges=list(edges.values()))
    return graph


def fraud_rings_detect(
    *, tenant, max_accounts_per_identifier: int | None = None, progress=None
) -> dict:
    """Rebuild the graph, find the rings and replace the tenant's stored rings with them."""
    limit = max_accounts_per_identifier or settings.RISK_RING_MAX_ACCOUNTS_PER_IDENTIFIER
    graph = fraud_graph_build(tenant=tenant)
    if progress:
        progress(1, 2, "graph built")
    nx_graph = graph_networkx(graph)
    fraud = {
        account_key(e)
        for e in RiskAccount.objects.filter(tenant=tenant, confirmed_fraud=True).values_list(
            "external_id", flat=True
        )
    }
    rings, hubs = find_rings(nx_graph, max_accounts_per_identifier=limit, fraud=fraud)
    with (
        audited(
            tenant=tenant,
            action="financial_risk.rings.detect",
            resource_type="financial_risk.fraudring",
        ) as event,
        transaction.atomic(),
    ):
        RiskAccount.objects.filter(tenant=tenant).update(ring=None)
        FraudRing.objects.filter(tenant=tenant).delete()
        for ring in rings:
            stored = FraudRing.objects.create(
                tenant=tenant,
                size=len(ring.accounts),
                score=ring.score,
                confirmed_fraud_members=ring.confirmed_fraud,
                shared_identifiers=ring.shared,
            )
            external = [nx_graph.nodes[a].get("label") or a.split(":", 1)[1] for a in ring.accounts]
            RiskAccount.objects.filter(tenant=tenant, external_id__in=external).update(ring=stored)
        event.row_count = len(rings)
        event.details = {"rings": len(rings), "hubs_ignored": len(hubs), "max_accounts": limit}
    if progress:
        progress(2, 2, "rings stored")
    return {
        "rings": len(rings),
        "hub_identifiers_ignored": len(hubs),
        "max_accounts_per_identifier": limit,
    }


def fraud_rings_detect_start(*, tenant, max_accounts_per_identifier: int | None = None) -> Job:
    """Queue ``fraud_rings_detect`` as a job (the API answers 202); the start is audited."""
    with audited(
        tenant=tenant, action="financial_risk.rings.start", resource_type="jobs.job"
    ) as event:
        job = job_create(
            tenant=tenant,
            kind=RINGS_JOB_KIND,
            task_name=RINGS_TASK_NAME,
            params={"max_accounts_per_identifier": max_accounts_per_identifier},
        )
        event.resource_id = job.pk
    job.refresh_from_db()
    return job


def account_ring(*, tenant, account: RiskAccount) -> dict:
    """The account's ring: its members, the identifiers they share and the score."""
    body = {
        "account": account.external_id,
        "confirmed_fraud": account.confirmed_fraud,
        "ring": None,
    }
    ring = account.ring
    if ring is None:
        return body
    members = [
        {"id": str(public_id), "external_id": external_id, "confirmed_fraud": confirmed}
        for public_id, external_id, confirmed in RiskAccount.objects.filter(
            tenant=tenant, ring=ring
        )
        .order_by("external_id")
        .values_list("public_id", "external_id", "confirmed_fraud")
    ]
    body["ring"] = {
        "id": str(ring.pk),
        "score": ring.score,
        "size": ring.size,
        "confirmed_fraud_members": ring.confirmed_fraud_members,
        "members": members,
        "shared_identifiers": ring.shared_identifiers,
        "detected_at": ring.detected_at.isoformat(),
    }
    return body


def account_ring_png(*, tenant, account: RiskAccount) -> bytes:
    """The ring as a picture: member accounts and the identifiers they share."""
    import networkx as nx

    drawing = nx.Graph()
    focus = account_key(account.external_id)
    drawing.add_node(
        focus, kind="account", label=account.external_id, fraud=account.confirmed_fraud
    )
    ring = account.ring
    title = f"Account {account.external_id}: no ring"
    if ring is not None:
        title = f"Ring of {ring.size} accounts, score {ring.score:.2f}"
        shared = {item["key"] for item in ring.shared_identifiers}
        members = RiskAccount.objects.filter(tenant=tenant, ring=ring)
        try:
            stored = graph_networkx(graph_get(tenant=tenant, name=FRAUD_GRAPH))
        except ObjectDoesNotExist:  # the fraud graph was deleted: draw the members alone
            stored = nx.MultiDiGraph()
        for member in members:
            key = account_key(member.external_id)
            drawing.add_node(
                key, kind="account", label=member.external_id, fraud=member.confirmed_fraud
            )
            if key not in stored:
                continue
            for identifier in set(stored.successors(key)) & shared:
                drawing.add_node(identifier, kind="identifier", label=identifier)
                drawing.add_edge(key, identifier)
    return pictures.ring_png(graph=drawing, focus=focus, title=title)
