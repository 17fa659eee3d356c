"""/api/v1/knowledge/: CRUD, imports as jobs, exports, queries, roles and bad input."""

from __future__ import annotations

import io
import json
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from apps.accounts.roles import Role
from apps.audit.models import AuditEvent
from apps.jobs.models import JobState
from knowledge.models import Graph, Node

from .factories import medical_graph, small_graph

pytestmark = pytest.mark.django_db

BASE = "/api/v1/knowledge/graphs/"


@pytest.fixture
def admin(tenant, make_api_client):
    return make_api_client(tenant, Role.ADMIN)


def _problem(response, status):
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/problem+json")
    return response.json()


def test_create_list_retrieve_update_delete(admin, tenant):
    created = admin.post(
        BASE,
        {"name": "kb", "domain": "medical", "schema": {"node_types": ["drug"]}},
        format="json",
    )
    assert created.status_code == 201, created.content
    graph_id = created.json()["id"]
    assert created.json()["version"] == 1
    listed = admin.get(BASE).json()["results"]
    assert [g["name"] for g in listed] == ["kb"]
    detail = admin.get(f"{BASE}{graph_id}/").json()
    assert (detail["node_count"], detail["edge_count"]) == (0, 0)
    patched = admin.patch(f"{BASE}{graph_id}/", {"description": "drugs"}, format="json")
    assert patched.json()["description"] == "drugs"
    duplicate = _problem(admin.post(BASE, {"name": "kb"}, format="json"), 400)
    assert "name" in duplicate["errors"]
    assert admin.delete(f"{BASE}{graph_id}/").status_code == 204
    assert not Graph.objects.filter(public_id=graph_id).exists()
    assert AuditEvent.objects.filter(tenant=tenant, action="knowledge.graph.create").exists()


def test_bad_input_names_the_field(admin):
    body = _problem(admin.post(BASE, {"name": "has space", "colour": 1}, format="json"), 400)
    assert set(body["errors"]) == {"colour"}  # unknown fields first
    body = _problem(admin.post(BASE, {"name": "has space"}, format="json"), 400)
    assert "name" in body["errors"]
    body = _problem(
        admin.post(BASE, {"name": "ok", "schema": {"edge_types": {"x": "y"}}}, format="json"), 400
    )
    assert "schema" in body["errors"]
    _problem(admin.generic("POST", BASE, '{"name": ', "application/json"), 400)
    assert not Graph.objects.exists()


def test_import_as_a_job_then_export_each_format(admin, tenant, django_capture_on_commit_callbacks):
    source = small_graph(tenant, name="source")
    target = Graph.objects.create(tenant=tenant, name="target")
    exported = admin.get(f"{BASE}{source.public_id}/export/", {"file_format": "csv"})
    assert exported.status_code == 200 and exported["Content-Type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(exported.content)) as archive:
        files = {name: archive.read(name).decode() for name in archive.namelist()}
    assert set(files) == {"nodes.csv", "edges.csv"}
    with django_capture_on_commit_callbacks(execute=True):
        response = admin.post(
            f"{BASE}{target.public_id}/import/", {"format": "csv", "files": files}, format="json"
        )
    assert response.status_code == 202, response.content
    assert response["Location"].endswith(f"/api/v1/jobs/{response.json()['id']}/")
    job = admin.get(response["Location"]).json()
    assert job["state"] == JobState.SUCCEEDED, job
    assert job["result"]["nodes_changed"] == 5 and job["result"]["edges_changed"] == 5
    assert job["progress"]["done"] == job["progress"]["total"] == 10
    assert AuditEvent.objects.filter(action="knowledge.graph.import", row_count=10).exists()
    node_link = admin.get(f"{BASE}{target.public_id}/export/", {"file_format": "node-link"})
    data = json.loads(node_link.content)
    assert {n["id"] for n in data["nodes"]} == {"a", "b", "c", "d", "e"}
    graphml = admin.get(f"{BASE}{target.public_id}/export/", {"file_format": "graphml"})
    assert graphml["Content-Type"] == "application/graphml+xml"
    assert b"<graphml" in graphml.content
    _problem(admin.get(f"{BASE}{target.public_id}/export/", {"file_format": "xls"}), 400)


def test_multipart_import(admin, tenant, django_capture_on_commit_callbacks):
    graph = Graph.objects.create(tenant=tenant, name="multi")
    nodes = SimpleUploadedFile("nodes.csv", b"key,type,label\nm1,thing,First\nm2,thing,Second\n")
    edges = SimpleUploadedFile("edges.csv", b"source,target,type\nm1,m2,next\n")
    with django_capture_on_commit_callbacks(execute=True):
        response = admin.post(
            f"{BASE}{graph.public_id}/import/",
            {"format": "csv", "nodes": nodes, "edges": edges},
            format="multipart",
        )
    assert response.status_code == 202, response.content
    assert graph.nodes.count() == 2 and graph.edges.count() == 1


def test_invalid_import_is_answered_at_once_and_stores_nothing(admin, tenant):
    graph = small_graph(tenant)
    version = graph.version
    files = {"edges.csv": "source,target,type\na,b,knows\na,ghost,knows\n"}
    body = _problem(
        admin.post(
            f"{BASE}{graph.public_id}/import/", {"format": "csv", "files": files}, format="json"
        ),
        400,
    )
    assert body["errors"] == {"edges.csv:3:target": ["unknown node 'ghost'"]}
    assert "edges.csv:3:target" in body["detail"]
    graph.refresh_from_db()
    assert graph.version == version and graph.uploads.count() == 0
    body = _problem(
        admin.post(
            f"{BASE}{graph.public_id}/import/", {"format": "yaml", "files": {}}, format="json"
        ),
        400,
    )
    assert set(body["errors"]) == {"format", "files"}


def test_upsert_and_delete_nodes(admin, tenant):
    graph = small_graph(tenant)
    response = admin.post(
        f"{BASE}{graph.public_id}/upsert/",
        {
            "nodes": [{"key": "f", "type": "person"}],
            "edges": [{"source": "f", "target": "a", "type": "knows"}],
        },
        format="json",
    )
    assert response.status_code == 200, response.content
    assert response.json()["nodes_changed"] == 1 and response.json()["edges_changed"] == 1
    bad = _problem(
        admin.post(
            f"{BASE}{graph.public_id}/upsert/",
            {"edges": [{"source": "f", "target": "a", "type": "knows", "weight": "x"}]},
            format="json",
        ),
        400,
    )
    assert bad["errors"] == {"edges:1:weight": ["'x' is not a finite number"]}
    _problem(admin.post(f"{BASE}{graph.public_id}/upsert/", {}, format="json"), 400)
    deleted = admin.post(f"{BASE}{graph.public_id}/delete-nodes/", {"keys": ["f"]}, format="json")
    assert deleted.json()["deleted"] == 1
    assert not Node.objects.filter(graph=graph, key="f").exists()


def test_query_endpoints(admin, tenant):
    graph = small_graph(tenant)
    url = f"{BASE}{graph.public_id}/"
    neighbours = admin.get(url + "neighbours/", {"node": "a", "direction": "out"}).json()
    assert {(n["key"], n["edge_type"]) for n in neighbours["neighbours"]} == {
        ("b", "knows"),
        ("c", "uses"),
    }
    khop = admin.get(url + "khop/", {"node": "d", "k": 2, "direction": "in"}).json()
    assert {n["key"]: n["distance"] for n in khop["nodes"]} == {"d": 0, "c": 1, "a": 2, "b": 2}
    assert khop["version"] == graph.version and khop["edges"]
    path = admin.get(url + "shortest-path/", {"source": "a", "target": "d", "weighted": "true"})
    assert path.json()["path"] == ["a", "b", "c", "d"]
    components = admin.get(url + "components/", {"edge_types": "knows,paired"}).json()
    assert components["count"] == 2 and components["components"][0]["size"] == 2
    ranking = admin.get(url + "pagerank/", {"top": 2}).json()["ranking"]
    assert len(ranking) == 2 and ranking[0]["score"] >= ranking[1]["score"]
    png = admin.get(url + "subgraph-png/", {"node": "a"})
    assert png.status_code == 200 and png["Content-Type"] == "image/png"
    assert png.content.startswith(b"\x89PNG\r\n\x1a\n")
    missing = _problem(admin.get(url + "khop/", {"node": "zzz"}), 400)
    assert missing["errors"] == {"node": ["no node with key 'zzz'"]}
    _problem(admin.get(url + "khop/", {"node": "a", "k": 9}), 400)
    _problem(admin.get(url + "khop/"), 400)
    _problem(admin.get(url + "neighbours/", {"node": "a", "edge_types": "bad type"}), 400)
    _problem(admin.get(url + "shortest-path/", {"source": "a", "target": "nope"}), 400)


def test_linked_link_and_search_endpoints(tenant, make_api_client):
    graph = medical_graph(tenant)
    clinician = make_api_client(tenant, Role.CLINICIAN)
    url = f"{BASE}{graph.public_id}/"
    linked = clinician.post(
        url + "linked/",
        {
            "nodes": ["drug:warfarin", "drug:ibuprofen", "drug:aspirin"],
            "edge_type": "interacts_with",
        },
        format="json",
    ).json()
    assert len(linked["pairs"]) == 3
    link = clinician.post(url + "link/", {"text": "既往高血压，服用华法林"}, format="json").json()
    assert {item["key"] for item in link["links"]} == {"condition:I10", "drug:warfarin"}
    search = clinician.post(
        url + "search/",
        {"query": "blood pressure", "types": ["condition"], "embedding_weight": 0, "top_k": 3},
        format="json",
    ).json()
    assert search["hits"] and all(h["type"] == "condition" for h in search["hits"])
    assert search["hits"][0]["version"] == graph.version
    body = _problem(
        clinician.post(url + "search/", {"query": "x", "threshold": 2}, format="json"), 400
    )
    assert "threshold" in body["errors"]
    _problem(
        clinician.post(url + "link/", {"text": "x", "methods": ["psychic"]}, format="json"), 400
    )


def test_roles(tenant, make_api_client):
    graph = small_graph(tenant)
    auditor = make_api_client(tenant, Role.AUDITOR)
    assert auditor.get(f"{BASE}{graph.public_id}/khop/", {"node": "a"}).status_code == 200
    assert (
        auditor.post(f"{BASE}{graph.public_id}/link/", {"text": "Alice"}, format="json").status_code
        == 200
    )
    assert auditor.post(BASE, {"name": "nope"}, format="json").status_code == 403
    forbidden = auditor.post(
        f"{BASE}{graph.public_id}/upsert/", {"nodes": [{"key": "q", "type": "t"}]}, format="json"
    )
    assert forbidden.status_code == 403
    agent = make_api_client(tenant, Role.AGENT)
    # Agents curate customer-service knowledge; general graphs are the admins' (domain table).
    assert agent.post(BASE, {"name": "faq"}, format="json").status_code == 403
    created = agent.post(BASE, {"name": "faq", "domain": "customer_service"}, format="json")
    assert created.status_code == 201


def test_other_tenants_graph_is_404_everywhere(tenant, other_tenant, make_api_client):
    theirs = small_graph(other_tenant, name="theirs")
    client = make_api_client(tenant, Role.ADMIN)
    assert client.get(f"{BASE}{theirs.public_id}/khop/", {"node": "a"}).status_code == 404
    assert (
        client.post(
            f"{BASE}{theirs.public_id}/search/", {"query": "Alice"}, format="json"
        ).status_code
        == 404
    )
    nodes = client.get("/api/v1/knowledge/nodes/", {"graph": theirs.public_id}).json()
    assert nodes["results"] == []
    mine = small_graph(tenant, name="mine")
    query = {"graph": mine.public_id, "type": "device"}
    nodes = client.get("/api/v1/knowledge/nodes/", query).json()
    assert sorted(n["key"] for n in nodes["results"]) == ["c", "d"]
    query = {"graph": mine.public_id, "type": "uses"}
    edges = client.get("/api/v1/knowledge/edges/", query).json()
    assert sorted((e["source"], e["target"]) for e in edges["results"]) == [("a", "c"), ("b", "c")]
