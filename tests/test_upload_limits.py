"""Every upload endpoint goes through the upload guard (apps.core.upload_guard, issue 17
"Uploads"): one table of endpoint × over-limit file, each answered 413 (or 400) naming the
limit's setting key, with nothing stored. The table must list every endpoint that takes a file
(read from the OpenAPI schema: any request field of binary format) and every endpoint that
parses a document sent as JSON; and every API or service module that calls a parser imports the
guard."""

from __future__ import annotations

import base64
import io
import json
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pytest
from django.apps import apps as django_apps
from drf_spectacular.generators import SchemaGenerator
from pypdf import PdfWriter

from apps.accounts.roles import Role
from knowledge.services import graph_create

ROOT = Path(__file__).resolve().parents[1]


def _file(name: str, data: bytes | str) -> io.BytesIO:
    buffer = io.BytesIO(data.encode() if isinstance(data, str) else data)
    buffer.name = name
    return buffer


def _lines(count: int, template: str = "line {i}") -> str:
    return "\n".join(template.format(i=i) for i in range(count)) + "\n"


def _pdf(pages: int) -> bytes:
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=72, height=72)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def _zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def _parquet(rows: int) -> bytes:
    buffer = io.BytesIO()
    pd.DataFrame({"income": [1.0] * rows}).to_parquet(buffer)
    return buffer.getvalue()


def _hl7(segments: int) -> str:
    head = "MSH|^~\\&|LAB|HOSP|EHR|HOSP|20260101120000||ORU^R01|1|P|2.5\rPID|1||123||Doe^Jane\r"
    return head + "".join(f"OBX|{i}|TX|NOTE||text {i}\r" for i in range(segments))


def _fhir(text: str) -> dict:
    data = base64.b64encode(text.encode()).decode()
    return {
        "resourceType": "DocumentReference",
        "status": "current",
        "content": [{"attachment": {"contentType": "text/plain", "data": data}}],
    }


def _graphml(nodes: int) -> str:
    body = "".join(f'<node id="n{i}"><data key="type">thing</data></node>' for i in range(nodes))
    return (
        '<graphml xmlns="http://graphml.graphdrawing.org/xmlns">'
        '<key id="type" for="node" attr.name="type" attr.type="string"/>'
        f'<graph edgedefault="directed">{body}</graph></graphml>'
    )


@dataclass(frozen=True)
class Case:
    id: str  # noqa: A003
    path: str  # the schema's path ({id} for the graph of the request)
    role: str
    body: object  # a callable returning the request body
    limits: dict
    named: str  # the UPLOAD_LIMITS key the answer names
    stored: tuple[str, ...]  # model labels that must not gain a row
    fmt: str = "multipart"
    status: int = 413
    errors_key: str = "file"
    extra: dict = field(default_factory=dict)


DOCS = "/api/v1/customer-service/documents/"
NOTE_MODELS = ("medical_records.note", "medical_records.extraction")
DOC_MODELS = ("customer_service.document", "customer_service.documentversion")
CASES = [
    Case(
        "note-upload-rows",
        "/api/v1/medical/notes/upload/",
        Role.CLINICIAN,
        lambda: {"file": _file("note.txt", _lines(30, "Cough for {i} days."))},
        {"max_rows": 10},
        "max_rows",
        NOTE_MODELS,
    ),
    Case(
        "note-upload-cell",
        "/api/v1/medical/notes/upload/",
        Role.CLINICIAN,
        lambda: {"file": _file("note.txt", "Cough. " * 200)},
        {"max_cell_chars": 500},
        "max_cell_chars",
        NOTE_MODELS,
    ),
    Case(
        "hl7-segments",
        "/api/v1/medical/notes/hl7/",
        Role.CLINICIAN,
        lambda: {"message": _hl7(20)},
        {"max_rows": 10},
        "max_rows",
        NOTE_MODELS,
        fmt="json",
        errors_key="message",
    ),
    Case(
        "hl7-field",
        "/api/v1/medical/notes/hl7/",
        Role.CLINICIAN,
        lambda: {"message": _hl7(1).replace("text 0", "x" * 600)},
        {"max_cell_chars": 500},
        "max_cell_chars",
        NOTE_MODELS,
        fmt="json",
        errors_key="message",
    ),
    Case(
        "fhir-document-lines",
        "/api/v1/medical/notes/fhir-document/",
        Role.CLINICIAN,
        lambda: _fhir(_lines(30, "Cough for {i} days.")),
        {"max_rows": 10},
        "max_rows",
        NOTE_MODELS,
        fmt="json",
        errors_key="content",
    ),
    Case(
        "fhir-document-keys",
        "/api/v1/medical/notes/fhir-document/",
        Role.CLINICIAN,
        lambda: {**_fhir("Cough."), **{f"extra{i}": i for i in range(20)}},
        {"max_columns": 10},
        "max_columns",
        NOTE_MODELS,
        fmt="json",
        errors_key="resource",
    ),
    Case(
        "note-batch-csv-rows",
        "/api/v1/medical/batches/",
        Role.CLINICIAN,
        lambda: {"file": _file("notes.csv", "text\n" + _lines(20, "Cough for {i} days."))},
        {"max_rows": 10},
        "max_rows",
        ("medical_records.notebatch", "jobs.job"),
    ),
    Case(
        "note-batch-jsonl-cell",
        "/api/v1/medical/batches/",
        Role.CLINICIAN,
        lambda: {"file": _file("notes.jsonl", json.dumps({"text": "Cough. " * 200}) + "\n")},
        {"max_cell_chars": 500},
        "max_cell_chars",
        ("medical_records.notebatch", "jobs.job"),
    ),
    Case(
        "transaction-import-csv",
        "/api/v1/risk/transaction-imports/",
        Role.ANALYST,
        lambda: {
            "file": _file(
                "t.csv",
                "account,amount,currency,occurred_at,merchant_category,channel,country,"
                "device_id,card_number,is_fraud\n"
                + _lines(20, "acct-{i},1.00,EUR,2026-02-01T10:00:00Z,5411,pos,FR,d,,false"),
            )
        },
        {"max_rows": 10},
        "max_rows",
        ("financial_risk.transactionimport", "financial_risk.transaction", "jobs.job"),
    ),
    Case(
        "intent-examples-csv",
        "/api/v1/customer-service/examples/import/",
        Role.ADMIN,
        lambda: {"file": _file("ex.csv", "intent,text\n" + _lines(20, "greet,hello {i}"))},
        {"max_rows": 10},
        "max_rows",
        ("customer_service.trainingexample", "customer_service.intent"),
    ),
    Case(
        "document-pdf-pages",
        DOCS,
        Role.ADMIN,
        lambda: {"file": _file("manual.pdf", _pdf(3))},
        {"max_pages": 2},
        "max_pages",
        DOC_MODELS,
    ),
    Case(
        "document-docx-bomb",
        DOCS,
        Role.ADMIN,
        lambda: {"file": _file("policy.docx", _zip({"word/document.xml": b"0" * 3_000_000}))},
        {"max_decompressed_bytes": 1_000_000, "max_compression_ratio": 10**9},
        "max_decompressed_bytes",
        DOC_MODELS,
    ),
    Case(
        "document-zip-bomb",
        DOCS,
        Role.ADMIN,
        lambda: {"file": _file("faq.zip", _zip({"faq.md": b"a" * 3_000_000}))},
        {"max_decompressed_bytes": 1_000_000, "max_compression_ratio": 10**9},
        "max_decompressed_bytes",
        DOC_MODELS,
    ),
    Case(
        "document-markdown-paragraphs",
        DOCS,
        Role.ADMIN,
        lambda: {"file": _file("faq.md", _lines(30, "Paragraph {i}.\n"))},
        {"max_rows": 10},
        "max_rows",
        DOC_MODELS,
    ),
    Case(
        "document-html-cell",
        DOCS,
        Role.ADMIN,
        lambda: {"file": _file("faq.html", f"<p>{'word ' * 200}</p>")},
        {"max_cell_chars": 500},
        "max_cell_chars",
        DOC_MODELS,
    ),
    Case(
        "document-csv-columns",
        DOCS,
        Role.ADMIN,
        lambda: {
            "file": _file(
                "faq.csv",
                "question,answer," + ",".join(f"c{i}" for i in range(20)) + "\nq,a\n",
            )
        },
        {"max_columns": 10},
        "max_columns",
        DOC_MODELS,
    ),
    Case(
        "training-set-jsonl-rows",
        "/api/v1/adaptation/training-sets/",
        Role.ANALYST,
        lambda: {
            "name": "pairs",
            "file": _file(
                "pairs.jsonl",
                "\n".join(json.dumps({"prompt": f"q {i}", "response": "a"}) for i in range(20)),
            ),
        },
        {"max_rows": 10},
        "max_rows",
        ("adaptation.trainingset",),
    ),
    Case(
        "training-set-jsonl-text-cell",
        "/api/v1/adaptation/training-sets/",
        Role.ANALYST,
        lambda: {
            "name": "pairs",
            "jsonl": json.dumps({"prompt": "q " * 300, "response": "a"})
            + "\n"
            + json.dumps({"prompt": "q2", "response": "a2"}),
        },
        {"max_cell_chars": 500},
        "max_cell_chars",
        ("adaptation.trainingset",),
        fmt="json",
        errors_key="jsonl",
    ),
    Case(
        "risk-dataset-parquet-rows",
        "/api/v1/risk/datasets/",
        Role.ANALYST,
        lambda: {
            "name": "d",
            "schema": json.dumps({"columns": {"income": "numeric"}}),
            "file": _file("d.parquet", _parquet(20)),
        },
        {"max_rows": 10},
        "max_rows",
        ("financial_risk.dataset",),
    ),
    Case(
        "risk-dataset-csv-cell",
        "/api/v1/risk/datasets/",
        Role.ANALYST,
        lambda: {
            "name": "d",
            "schema": json.dumps({"columns": {"note": "categorical"}}),
            "file": _file("d.csv", "note\n" + "x" * 600 + "\n"),
        },
        {"max_cell_chars": 500},
        "max_cell_chars",
        ("financial_risk.dataset",),
    ),
    Case(
        "graph-import-graphml-one-line",
        "/api/v1/knowledge/graphs/{id}/import/",
        Role.ADMIN,
        lambda: {"format": "graphml", "files": {"g.graphml": _graphml(20)}},
        {"max_rows": 10},
        "max_rows",
        ("knowledge.node", "knowledge.importupload", "jobs.job"),
        fmt="json",
        errors_key="g.graphml",
    ),
    Case(
        "graph-import-node-link-cell",
        "/api/v1/knowledge/graphs/{id}/import/",
        Role.ADMIN,
        lambda: {
            "format": "node-link",
            "files": {
                "g.json": json.dumps(
                    {
                        "nodes": [{"id": "a", "type": "thing", "properties": {"n": "x" * 600}}],
                        "links": [],
                    }
                )
            },
        },
        {"max_cell_chars": 500},
        "max_cell_chars",
        ("knowledge.node", "knowledge.importupload", "jobs.job"),
        fmt="json",
        errors_key="g.json",
    ),
]

# Endpoints that parse a document sent as JSON (no file field in the schema).
JSON_DOCUMENT_ENDPOINTS = {
    ("post", "/api/v1/medical/notes/hl7/"),
    ("post", "/api/v1/medical/notes/fhir-document/"),
    ("post", "/api/v1/knowledge/graphs/{id}/import/"),
}


def _counts(labels) -> dict[str, int]:
    return {label: django_apps.get_model(label).objects.count() for label in labels}


@pytest.mark.django_db
@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_every_upload_endpoint_refuses_what_is_over_a_limit(
    case, tenant, make_api_client, settings
):
    settings.UPLOAD_LIMITS = {**settings.UPLOAD_LIMITS, **case.limits}
    path = case.path
    if "{id}" in path:
        path = path.replace(
            "{id}", str(graph_create(tenant=tenant, name="g", domain="general").public_id)
        )
    before = _counts(case.stored)
    response = make_api_client(tenant, case.role).post(path, case.body(), format=case.fmt)
    assert response.status_code == case.status, response.content
    body = response.json()
    assert body["status"] == case.status
    messages = " ".join(body["errors"].get(case.errors_key, []))
    assert f"UPLOAD_LIMITS['{case.named}']" in messages, body
    assert _counts(case.stored) == before


def _binary(schema, components, seen=()) -> bool:
    if isinstance(schema, dict):
        if schema.get("format") == "binary":
            return True
        if "$ref" in schema:
            name = schema["$ref"].rsplit("/", 1)[-1]
            return name not in seen and _binary(components.get(name, {}), components, (*seen, name))
        return any(_binary(value, components, seen) for value in schema.values())
    if isinstance(schema, list):
        return any(_binary(value, components, seen) for value in schema)
    return False


@pytest.mark.django_db
def test_the_table_lists_every_endpoint_that_takes_a_file():
    schema = SchemaGenerator().get_schema(request=None, public=True)
    components = schema["components"]["schemas"]
    takes_files = {
        (method, path)
        for path, operations in schema["paths"].items()
        for method, operation in operations.items()
        if any(
            _binary(content.get("schema", {}), components)
            for content in operation.get("requestBody", {}).get("content", {}).values()
        )
    }
    listed = {("post", case.path) for case in CASES}
    missing = (takes_files | JSON_DOCUMENT_ENDPOINTS) - listed
    assert takes_files, "the schema walk found no upload endpoint at all"
    assert not missing, f"add an over-limit case to CASES for {sorted(missing)}"


# Calls that turn uploaded bytes into rows, pages or members.
PARSE_CALLS = re.compile(
    r"csv\.(reader|DictReader)\(|read_csv\(|read_parquet\(|ParquetFile\(|PdfReader\(|"
    r"docx\.Document\(|zipfile\.ZipFile\(|message_parse\(|document_text\(|parse_jsonl\(|"
    r"[^_.]parse\(fmt"
)
# Request-side modules that parse without the guard, and why that is safe.
UNGUARDED = {
    # The import job and manage.py knowledge_import re-parse what graph_import_check (guarded)
    # accepted; the command is the operator's path for files over the API's limits.
    "knowledge/services/graphs.py",
    # Reads back the PDF pages it has just drawn itself (the model card); nothing uploaded.
    "apps/financial_risk/services/model_card.py",
}


def test_every_api_or_service_module_that_parses_uploads_uses_the_guard():
    offenders = []
    for folder in ("apps", "knowledge", "models_runtime"):
        for path in (ROOT / folder).rglob("*.py"):
            relative = str(path.relative_to(ROOT))
            if not ({"api", "services"} & set(path.parts)) or "tests" in path.parts:
                continue
            text = path.read_text()
            if PARSE_CALLS.search(text) and "upload_guard" not in text:
                if relative not in UNGUARDED:
                    offenders.append(relative)
    assert not offenders, f"parse uploads through apps.core.upload_guard in {offenders}"
