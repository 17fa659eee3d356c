"""The neighbourhood pages (web and admin), and the seed graphs loaded by ``make run``."""

from __future__ import annotations

import json

import pytest
from django.core.management import call_command

from apps.accounts.roles import Role
from knowledge.models import Graph, Node

from .factories import small_graph

pytestmark = pytest.mark.django_db


def _elements(response):
    html = response.content.decode()
    start = html.index('<script id="kg-elements" type="application/json">') + len(
        '<script id="kg-elements" type="application/json">'
    )
    return json.loads(html[start : html.index("</script>", start)])


def test_web_page_embeds_the_neighbourhood_and_the_local_library(client, make_member, tenant):
    graph = small_graph(tenant)
    client.force_login(make_member(tenant, Role.AGENT))
    response = client.get(f"/knowledge/graphs/{graph.public_id}/neighbourhood/", {"node": "b"})
    assert response.status_code == 200
    elements = _elements(response)
    assert elements["center"] == "b"
    assert {n["key"] for n in elements["nodes"]} == {"a", "b", "c"}
    assert {(e["source"], e["target"]) for e in elements["edges"]} >= {("a", "b"), ("b", "c")}
    html = response.content.decode()
    assert "/static/knowledge/vendor/cytoscape-3.34.4.min.js" in html
    # Nothing loads from elsewhere (the admin frame's inline SVG names its namespace, no fetch).
    local = html.replace("http://testserver", "").replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert "http://" not in local and "cdn" not in html.lower()
    static = client.get("/static/knowledge/vendor/cytoscape-3.34.4.min.js")
    assert static.status_code == 200
    # Without a node: the best-connected one is drawn (a, b and c have degree 3).
    default = _elements(client.get(f"/knowledge/graphs/{graph.public_id}/neighbourhood/"))
    assert default["center"] in {"a", "b", "c"} and default["nodes"]
    unknown = client.get(f"/knowledge/graphs/{graph.public_id}/neighbourhood/", {"node": "zzz"})
    assert unknown.status_code == 200 and "no node with key" in unknown.content.decode()


def test_web_page_is_tenant_scoped_and_needs_a_login(client, make_member, tenant, other_tenant):
    theirs = small_graph(other_tenant, name="theirs")
    url = f"/knowledge/graphs/{theirs.public_id}/neighbourhood/"
    assert client.get(url).status_code == 302  # to the login page
    client.force_login(make_member(tenant, Role.ADMIN))
    assert client.get(url).status_code == 404


def test_admin_neighbourhood_view(client, make_member, tenant, other_tenant):
    mine = small_graph(tenant)
    theirs = small_graph(other_tenant, name="theirs")
    client.force_login(make_member(tenant, Role.CLINICIAN))
    response = client.get(f"/admin/knowledge/graph/{mine.pk}/neighbourhood/", {"node": "a"})
    assert response.status_code == 200
    assert {n["key"] for n in _elements(response)["nodes"]} == {"a", "b", "c"}
    change = client.get(f"/admin/knowledge/graph/{mine.pk}/change/")
    assert f"/admin/knowledge/graph/{mine.pk}/neighbourhood/" in change.content.decode()
    assert client.get(f"/admin/knowledge/graph/{theirs.pk}/neighbourhood/").status_code == 404


def test_admin_edits_go_through_the_services(client, make_member, tenant):
    graph = small_graph(tenant)
    version = graph.version
    client.force_login(make_member(tenant, Role.ADMIN))
    response = client.post(
        f"/admin/knowledge/graph/{graph.pk}/change/",
        {
            "tenant": tenant.pk,
            "name": graph.name,
            "domain": "general",
            "description": "edited",
            "schema": json.dumps({"node_types": ["person", "device"]}),
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    graph.refresh_from_db()
    assert graph.description == "edited" and graph.version == version + 1  # schema changed


def test_seed_graphs_load_idempotently(tenant):
    call_command("knowledge_seed", "--tenant", tenant.slug, "--embeddings", "skip")
    graphs = {g.name: g for g in Graph.objects.filter(tenant=tenant)}
    assert set(graphs) == {"shop", "medical", "fraud"}
    versions = {name: g.version for name, g in graphs.items()}
    medical = graphs["medical"]
    hypertension = Node.objects.get(graph=medical, key="condition:I10")
    assert hypertension.properties["icd10cm"] == "I10" and "高血压" in hypertension.aliases
    for edge_type in ("treats", "contraindicated_with", "interacts_with", "contradicts"):
        assert medical.edges.filter(type=edge_type).exists(), edge_type
    assert medical.edges.filter(
        type="contradicts", source__key="condition:I10", target__key="condition:I95.9"
    ).exists()
    assert set(graphs["fraud"].schema["node_types"]) == {
        "account",
        "device",
        "ip",
        "phone",
        "card",
        "merchant",
    }
    assert graphs["shop"].nodes.filter(type="policy").count() >= 4
    call_command("knowledge_seed", "--tenant", tenant.slug, "--embeddings", "skip")
    again = {g.name: g.version for g in Graph.objects.filter(tenant=tenant)}
    assert again == versions  # nothing changed the second time


def test_seed_command_queues_embeddings(tenant, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        call_command("knowledge_seed", "--tenant", tenant.slug)
    shop = Graph.objects.get(tenant=tenant, name="shop")
    assert not shop.nodes.filter(embedding__isnull=True).exists()


def test_seed_command_needs_the_tenant(db):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="no tenant"):
        call_command("knowledge_seed", "--tenant", "missing")


def test_import_command_for_large_files(tenant, tmp_path, capsys):
    from django.core.management.base import CommandError

    (tmp_path / "nodes.csv").write_text("key,type,label\nk1,thing,One\nk2,thing,Two\n")
    (tmp_path / "edges.csv").write_text("source,target,type\nk1,k2,next\nk1,k3,next\n")
    args = [str(tmp_path / "nodes.csv"), str(tmp_path / "edges.csv")]
    with pytest.raises(CommandError, match="nothing was imported"):
        call_command(
            "knowledge_import", *args, "--tenant", tenant.slug, "--graph", "big", "--format", "csv"
        )
    assert "edges.csv:3: target: unknown node 'k3'" in capsys.readouterr().err
    assert Graph.objects.get(tenant=tenant, name="big").nodes.count() == 0
    (tmp_path / "edges.csv").write_text("source,target,type\nk1,k2,next\n")
    call_command(
        "knowledge_import", *args, "--tenant", tenant.slug, "--graph", "big", "--format", "csv"
    )
    assert "2 nodes (2 changed), 1 edges (1 changed)" in capsys.readouterr().out
