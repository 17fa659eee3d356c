"""Help-centre documents: every format (Markdown, HTML, PDF, DOCX, CSV, zip) lands as chunks
with heading paths and graph nodes that retrieval cites; a re-upload replaces the chunks; a
broken file is a 400 naming the problem and leaves the old version; documents are data, never
instructions (planted injections in English and Chinese)."""

from __future__ import annotations

import pytest

from apps.customer_service import services
from apps.customer_service.models import Chunk, Document
from apps.customer_service.services import replies
from apps.customer_service.services.documents import documents_upload, knowledge_graph
from knowledge.models import Node

from .files import docx_bytes, pdf_bytes, zip_bytes

pytestmark = pytest.mark.django_db
API = "/api/v1/customer-service/"

FILES = {
    "care.md": b"# Care guide\n\n## Washing\n\nWash the fleece at 30 degrees.\n",
    "care.html": (
        b"<html><head><title>Care</title><script>alert(1)</script></head><body>"
        b"<h1>Care</h1><h2>Drying</h2><p>Dry the jacket flat.</p></body></html>"
    ),
    "care.pdf": pdf_bytes(["Boots are cleaned with a soft brush.", "Wax them twice a year."]),
    "care.docx": docx_bytes("Care", [("Storing", "Store tents dry and loose.")]),
    "care.csv": b"question,answer\nCan I iron the jacket?,No. Never iron the membrane.\n",
}


def _upload(client, filename, data, name=""):
    from django.core.files.uploadedfile import SimpleUploadedFile

    body = {"file": SimpleUploadedFile(filename, data)}
    if name:
        body["name"] = name
    return client.post(f"{API}documents/", body, format="multipart")


@pytest.mark.parametrize("name", sorted(FILES))
def test_each_format_lands_as_chunks_with_heading_paths_and_graph_nodes(name, tenant):
    version = documents_upload(tenant=tenant, filename=name, data=FILES[name])[0]
    chunks = list(Chunk.objects.filter(document=version.document).order_by("seq"))
    assert chunks and version.chunk_count == len(chunks)
    assert all(c.heading_path for c in chunks)  # every chunk keeps its headings as context
    graph = knowledge_graph(tenant)
    stored = set(Node.objects.filter(graph=graph, type="chunk").values_list("key", flat=True))
    assert {c.node_key for c in chunks} <= stored
    if name == "care.html":
        assert "alert" not in " ".join(c.text for c in chunks)  # scripts are not text
    if name == "care.pdf":
        assert [c.heading_path[-1] for c in chunks] == ["p. 1", "p. 2"]


def test_a_zip_of_files_makes_one_document_each(tenant):
    data = zip_bytes({"a/care.md": FILES["care.md"], "b/care.csv": FILES["care.csv"]})
    versions = documents_upload(tenant=tenant, filename="help.zip", data=data)
    assert sorted(v.document.name for v in versions) == ["a/care.md", "b/care.csv"]


def test_retrieval_cites_document_heading_path_and_chunk(tenant):
    documents_upload(tenant=tenant, filename="care.md", data=FILES["care.md"])
    services.documents_embed(tenant=tenant, in_process=True)
    facts = replies.retrieve(
        graph=knowledge_graph(tenant), query="How do I wash the fleece?", intent="help_centre"
    )
    citation = facts[0]["citation"]
    document = Document.objects.get(tenant=tenant, name="care.md")
    assert citation["document"] == "care.md" and citation["heading_path"] == [
        "Care guide",
        "Washing",
    ]
    assert citation["url"] == f"/customer-service/documents/{document.pk}/#chunk-1"


def test_reupload_replaces_the_chunks_atomically(tenant):
    documents_upload(tenant=tenant, filename="care.md", data=FILES["care.md"])
    old = set(Chunk.objects.values_list("node_key", flat=True))
    changed = b"# Care guide\n\n## Washing\n\nWash at 40 degrees.\n\n## Drying\n\nHang it up.\n"
    version = documents_upload(tenant=tenant, filename="care.md", data=changed)[0]
    assert version.number == 2
    texts = list(Chunk.objects.order_by("seq").values_list("text", flat=True))
    assert texts == ["Wash at 40 degrees.", "Hang it up."]
    graph = knowledge_graph(tenant)
    assert not Node.objects.filter(graph=graph, key__in=old).exists()
    assert documents_upload(tenant=tenant, filename="care.md", data=changed) == []  # same file


@pytest.mark.parametrize(
    ("name", "data", "problem"),
    [
        ("care.pdf", b"%PDF-1.4 this is not really a pdf", "PDF cannot be read"),
        ("care.docx", b"PK\x03\x04broken", "DOCX cannot be read"),
        ("care.csv", b"title,body\nx,y\n", "question and answer"),
        ("care.md", b"\xff\xfe\x00bad", "binary content"),
        ("care.exe", b"MZ", "unsupported file type"),
        ("help.zip", zip_bytes({"../evil.md": b"# x\n\ny\n"}), "absolute or parent path"),
    ],
)
def test_a_broken_file_is_a_400_naming_the_problem_and_keeps_the_old_version(
    name, data, problem, tenant, admin_client_for
):
    client = admin_client_for
    assert _upload(client, "care.md", FILES["care.md"], name="care").status_code == 201
    before = list(Chunk.objects.values_list("node_key", "text"))
    response = _upload(client, name, data, name="care")
    assert response.status_code == 400, response.content
    assert problem in str(response.json()["errors"]["file"])
    assert list(Chunk.objects.values_list("node_key", "text")) == before
    assert Document.objects.get(tenant=tenant, name="care").version == 1


def test_upload_through_the_api_answers_201_with_the_embedding_job(tenant, admin_client_for):
    response = _upload(admin_client_for, "care.md", FILES["care.md"])
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["new_versions"] == 1 and body["chunks"] == 1
    assert body["embedding_job"]["id"]
