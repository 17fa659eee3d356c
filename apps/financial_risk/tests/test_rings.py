"""Fraud rings: a planted ring is found through the knowledge graph, the hub identifier (a
public IP shared by many honest accounts) is ignored, the ring endpoint and its picture."""

from __future__ import annotations

import networkx as nx
import pytest

from apps.financial_risk.engine.rings import find_rings, ring_score
from apps.financial_risk.models import FraudRing, Transaction
from apps.financial_risk.services.demo import synthetic_transactions_store
from apps.financial_risk.services.fraud_transactions import identifier_token
from apps.financial_risk.services.rings import FRAUD_GRAPH, fraud_rings_detect
from apps.jobs.models import Job
from knowledge.models import Graph, Node


def _graph(edges):
    graph = nx.MultiDiGraph()
    for account, kind, value in edges:
        graph.add_node(f"account:{account}", type="account")
        graph.add_node(f"{kind}:{value}", type=kind)
        graph.add_edge(f"account:{account}", f"{kind}:{value}", key=f"uses_{kind}")
    return graph


def test_planted_ring_found_and_hub_ignored():
    edges = [
        ("a1", "device", "d-ring"),
        ("a2", "device", "d-ring"),
        ("a2", "phone", "p-ring"),
        ("a3", "phone", "p-ring"),
        ("a1", "card", "c1"),
        ("a4", "card", "c4"),
    ]
    # A public IP used by the ring's members and by ten honest accounts.
    edges += [(f"h{i}", "ip", "public") for i in range(10)] + [
        ("a1", "ip", "public"),
        ("a4", "ip", "public"),
    ]
    rings, hubs = find_rings(_graph(edges), max_accounts_per_identifier=5, fraud={"account:a3"})
    assert hubs == ["ip:public"]
    assert len(rings) == 1
    ring = rings[0]
    assert ring.accounts == ["account:a1", "account:a2", "account:a3"]  # a4 and h* stay out
    assert {s["key"] for s in ring.shared} == {"device:d-ring", "phone:p-ring"}
    assert ring.confirmed_fraud == 1 and ring.score == ring_score(3, 2, 1)
    # Without the hub limit the public IP chains everybody into one component: the failure
    # the limit prevents.
    everything, _ = find_rings(_graph(edges), max_accounts_per_identifier=100, fraud=set())
    assert len(everything[0].accounts) == 14


def test_ring_score_grows_with_evidence():
    assert ring_score(2, 1, 0) < ring_score(5, 1, 0) < ring_score(5, 3, 0) < ring_score(5, 3, 1) < 1


def _load_synthetic(tenant):
    return synthetic_transactions_store(
        tenant=tenant, accounts=80, rings=(5, 4), hub_accounts=30, seed=3
    )


@pytest.mark.django_db
def test_rings_through_the_knowledge_graph_and_the_api(
    tenant, other_tenant, make_api_client, django_capture_on_commit_callbacks
):
    stored = _load_synthetic(tenant)
    summary = fraud_rings_detect(tenant=tenant, max_accounts_per_identifier=8)
    assert summary["rings"] == 2 and summary["hub_identifiers_ignored"] == 1
    graph = Graph.objects.get(tenant=tenant, name=FRAUD_GRAPH)
    assert Node.objects.filter(graph=graph, type="account").count() == 80
    assert Node.objects.filter(
        graph=graph, key="ip:" + identifier_token("ip_address", "203.0.113.10")
    ).exists()  # the hub is in the graph, by its keyed digest
    # No identifier in clear in the ring graph or the transactions (issue 19).
    assert not Node.objects.filter(graph=graph, key__contains="203.0.113.10").exists()
    assert not Transaction.objects.filter(tenant=tenant, phone__startswith="+44").exists()
    rings = list(FraudRing.objects.filter(tenant=tenant).order_by("-size"))
    assert [r.size for r in rings] == [5, 4]
    assert all(r.confirmed_fraud_members == 1 for r in rings)
    member = stored["acct-00001"]
    member.refresh_from_db()
    assert member.ring_id == rings[0].pk

    client = make_api_client(tenant, "analyst")
    body = client.get(f"/api/v1/risk/accounts/{member.public_id}/ring/").json()
    assert body["ring"]["size"] == 5
    assert [m["external_id"] for m in body["ring"]["members"]] == [
        f"acct-0000{i}" for i in range(5)
    ]
    assert {s["kind"] for s in body["ring"]["shared_identifiers"]} == {"device", "phone"}
    picture = client.get(body["picture_url"])
    assert picture.status_code == 200 and picture.content[:4] == b"\x89PNG"
    honest = stored["acct-00050"]
    assert client.get(f"/api/v1/risk/accounts/{honest.public_id}/ring/").json()["ring"] is None
    assert client.get(f"/api/v1/risk/accounts/{honest.public_id}/ring/picture/").status_code == 200

    # Re-running is idempotent and another tenant's graph is untouched.
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/api/v1/risk/rings/detect/", {"max_accounts_per_identifier": 8}, format="json"
        )
    assert response.status_code == 202
    assert Job.objects.get(pk=response.json()["id"]).result["rings"] == 2
    assert FraudRing.objects.filter(tenant=tenant).count() == 2
    assert not Graph.objects.filter(tenant=other_tenant).exists()
    # The limit is configurable: at 3, the rings' shared device and phone (5 and 4 accounts)
    # count as hubs too and no ring is left.
    tight = fraud_rings_detect(tenant=tenant, max_accounts_per_identifier=3)
    assert tight["rings"] == 0 and tight["hub_identifiers_ignored"] == 5
    assert not FraudRing.objects.filter(tenant=tenant).exists()
    bad = client.post(
        "/api/v1/risk/rings/detect/", {"max_accounts_per_identifier": 1}, format="json"
    )
    assert bad.status_code == 400 and "max_accounts_per_identifier" in bad.json()["errors"]


@pytest.mark.django_db
def test_the_ring_admin_page_shows_the_ring_picture(client, tenant, other_tenant, make_member):
    import base64
    import re

    from apps.accounts.roles import Role
    from apps.accounts.tests.factories import admin_signed_in

    _load_synthetic(tenant)
    fraud_rings_detect(tenant=tenant, max_accounts_per_identifier=8)
    ring = FraudRing.objects.filter(tenant=tenant).order_by("-size").first()
    admin_signed_in(client, make_member(tenant, Role.ANALYST), tenant)
    page = client.get(f"/admin/financial_risk/fraudring/{ring.pk}/change/")
    assert page.status_code == 200
    html = page.content.decode()
    found = re.search(
        r'class="fraud-ring-picture" alt="([^"]+)" src="data:image/png;base64,([^"]+)"', html
    )
    assert found, "no ring picture on the page"
    assert found.group(1) == f"Fraud ring of {ring.size} accounts around acct-00000"
    assert base64.b64decode(found.group(2)).startswith(b"\x89PNG\r\n\x1a\n")
