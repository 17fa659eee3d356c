"""/api/v1/medical/: every ingestion format with its errors, outputs, the role restriction,
the audit of every read and of re-identification, bulk batches with progress, summaries."""

from __future__ import annotations

import base64
import io
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from apps.accounts.roles import Role
from apps.audit.models import AuditEvent
from apps.jobs.models import Job
from apps.medical_records.models import Note, NoteBatch
from apps.medical_records.services import grant_create

from .test_formats import MDM

pytestmark = pytest.mark.django_db
BASE = "/api/v1/medical"


def _events(tenant, action):
    return AuditEvent.objects.filter(tenant=tenant, action=action)


def test_note_over_the_api_is_structured_and_audited(tenant, clinician, demo_note):
    response = clinician.post(f"{BASE}/notes/", {"text": demo_note}, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert "Oyelaran" not in json.dumps(body)
    assert {e["assertion"] for e in body["extraction"]["entities"]} >= {
        "present",
        "negated",
        "historical",
        "family",
        "hypothetical",
        "uncertain",
    }
    assert {f["kind"] for f in body["findings"]} >= {"drug_allergy", "drug_drug", "dose_range"}
    assert body["patient"].startswith("[NAME-")
    assert _events(tenant, "medical_records.note.structure").count() == 1


def test_one_request_returns_a_validated_fhir_bundle(clinician, demo_note):
    from fhir.resources.R4B.bundle import Bundle

    response = clinician.post(f"{BASE}/notes/fhir/", {"text": demo_note}, format="json")
    assert response.status_code == 201
    bundle = response.json()
    assert bundle["resourceType"] == "Bundle"
    Bundle.model_validate(bundle)
    assert response["Location"].startswith(f"{BASE}/notes/")


@pytest.mark.parametrize(
    "body,field",
    [
        ({}, "text"),
        ({"text": "   "}, "text"),
        ({"text": "x", "language": "fr"}, "language"),
        ({"text": "x", "colour": "red"}, "colour"),
        ({"text": 5}, "text"),
    ],
)
def test_bad_note_bodies_name_the_field(clinician, body, field):
    response = clinician.post(f"{BASE}/notes/", body, format="json")
    assert response.status_code == 400
    assert field in response.json()["errors"]


def test_file_upload(clinician):
    upload = SimpleUploadedFile("visit.txt", "患者否认胸痛。母亲患有糖尿病。".encode())
    response = clinician.post(f"{BASE}/notes/upload/", {"file": upload}, format="multipart")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["language"] == "zh" and body["title"] == "visit.txt"
    assert {e["assertion"] for e in body["extraction"]["entities"]} == {"negated", "family"}
    bad = SimpleUploadedFile("bad.txt", b"\xff\xfe\x00broken")
    response = clinician.post(f"{BASE}/notes/upload/", {"file": bad}, format="multipart")
    assert response.status_code == 400 and "file" in response.json()["errors"]


def test_hl7_ingestion_and_its_errors(clinician):
    response = clinician.post(f"{BASE}/notes/hl7/", {"message": MDM}, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["source"] == "hl7v2" and "Oyelaran" not in body["text"]
    response = clinician.post(
        f"{BASE}/notes/hl7/", {"message": MDM.replace("|P|2.5", "|P|")}, format="json"
    )
    assert response.status_code == 400
    assert "MSH.12" in response.json()["errors"]


def test_fhir_document_reference_ingestion_and_errors(clinician):
    data = base64.b64encode(b"Patient: Jane Roe\nDenies fever.").decode()
    document = {
        "resourceType": "DocumentReference",
        "status": "current",
        "content": [{"attachment": {"contentType": "text/plain", "data": data}}],
    }
    response = clinician.post(f"{BASE}/notes/fhir-document/", document, format="json")
    assert response.status_code == 201, response.content
    assert "Jane Roe" not in response.json()["text"]
    response = clinician.post(
        f"{BASE}/notes/fhir-document/",
        {"resourceType": "DocumentReference", "content": []},
        format="json",
    )
    assert response.status_code == 400 and "status" in response.json()["errors"]


def test_outputs_and_the_audit_of_every_read(tenant, clinician, demo_note):
    note_id = clinician.post(f"{BASE}/notes/", {"text": demo_note}, format="json").json()["id"]
    assert clinician.get(f"{BASE}/notes/").status_code == 200
    assert clinician.get(f"{BASE}/notes/{note_id}/").status_code == 200
    fhir = clinician.get(f"{BASE}/notes/{note_id}/fhir/")
    assert fhir.json()["resourceType"] == "Bundle"
    hl7 = clinician.get(f"{BASE}/notes/{note_id}/hl7/")
    assert hl7.status_code == 200 and hl7.content.startswith(b"MSH|")
    assert clinician.get(f"{BASE}/extractions/").status_code == 200
    assert clinician.get(f"{BASE}/findings/?severity=high").status_code == 200
    for action in (
        "medical_records.note.list",
        "medical_records.note.read",
        "medical_records.note.fhir",
        "medical_records.note.hl7",
        "medical_records.extraction.list",
        "medical_records.finding.list",
    ):
        assert _events(tenant, action).exists(), action
    read = _events(tenant, "medical_records.note.read").get()
    assert read.resource_id == note_id


@pytest.mark.parametrize("role", [Role.ANALYST, Role.AGENT, Role.AUDITOR])
def test_only_clinicians_and_admins_read_records(tenant, make_api_client, role, demo_note):
    from .factories import note

    made = note(tenant)
    client = make_api_client(tenant, role)
    for path in (
        f"{BASE}/notes/",
        f"{BASE}/notes/{made.pk}/",
        f"{BASE}/notes/{made.pk}/fhir/",
        f"{BASE}/extractions/",
        f"{BASE}/findings/",
        f"{BASE}/batches/",
    ):
        assert client.get(path).status_code == 403, (role, path)
    assert client.post(f"{BASE}/notes/", {"text": demo_note}, format="json").status_code == 403
    assert make_api_client(tenant, Role.ADMIN).get(f"{BASE}/notes/").status_code == 200


def test_reidentification_needs_a_clinician_with_a_grant_and_is_audited(
    tenant, make_api_client, clinician
):
    text = "Patient: Rosa Delgado  MRN: 99221377\nDenies chest pain."
    note_id = clinician.post(f"{BASE}/notes/", {"text": text}, format="json").json()["id"]
    url = f"{BASE}/notes/{note_id}/reidentify/"
    assert clinician.post(url).status_code == 403  # no grant yet
    denied = _events(tenant, "medical_records.note.reidentify").get()
    assert denied.outcome == "denied"
    admin = make_api_client(tenant, Role.ADMIN)
    assert admin.post(url).status_code == 403  # admins may not re-identify at all
    grant_create(tenant=tenant, reason="treating clinician", api_key=clinician.api_key)
    response = clinician.post(url)
    assert response.status_code == 200
    assert "Rosa Delgado" in response.json()["text"] and "99221377" in response.json()["text"]
    outcomes = list(
        _events(tenant, "medical_records.note.reidentify").values_list("outcome", flat=True)
    )
    assert sorted(outcomes) == ["denied", "success"]  # the admin was refused by role, earlier
    other = make_api_client(tenant, Role.CLINICIAN)  # another clinician's key: no grant
    assert other.post(url).status_code == 403


def test_bulk_csv_and_jsonl_batches(tenant, clinician, django_capture_on_commit_callbacks):
    rows = io.StringIO()
    rows.write("text,title\n")
    rows.write('"Patient: Ann Lee\nDenies fever.",first\n')
    rows.write('"Mother has asthma.",second\n')
    upload = SimpleUploadedFile("notes.csv", rows.getvalue().encode())
    with django_capture_on_commit_callbacks(execute=True):
        response = clinician.post(f"{BASE}/batches/", {"file": upload}, format="multipart")
    assert response.status_code == 202, response.content
    job = Job.objects.get(pk=response.json()["id"])
    assert job.state == "succeeded" and (job.progress_done, job.progress_total) == (2, 2)
    batch = NoteBatch.objects.get(pk=response.json()["batch"])
    assert batch.structured == 2 and batch.encrypted_payload == ""
    assert Note.objects.filter(batch=batch).count() == 2
    assert "Ann Lee" not in "".join(Note.objects.filter(batch=batch).values_list("text", flat=True))
    lines = '{"text": "No cough."}\n{"text": "Possible pneumonia.", "language": "en"}\n'
    upload = SimpleUploadedFile("notes.jsonl", lines.encode())
    with django_capture_on_commit_callbacks(execute=True):
        response = clinician.post(f"{BASE}/batches/", {"file": upload}, format="multipart")
    assert response.status_code == 202
    assert clinician.get(f"{BASE}/batches/{response.json()['batch']}/").json()["structured"] == 2


@pytest.mark.parametrize(
    "name,content,message",
    [
        ("a.csv", "title\nx\n", "text"),
        ("a.csv", "text,colour\nx,red\n", "unknown columns"),
        ("a.jsonl", '{"text": "ok"}\nnot json\n', "line 2"),
        ("a.jsonl", '{"text": ""}\n', "line 1: text"),
        ("a.jsonl", '{"text": "ok", "language": "fr"}\n', "line 1: language"),
        ("a.jsonl", "\n", "no notes"),
    ],
)
def test_batch_errors_name_line_and_field(clinician, name, content, message):
    upload = SimpleUploadedFile(name, content.encode())
    response = clinician.post(f"{BASE}/batches/", {"file": upload}, format="multipart")
    assert response.status_code == 400
    assert any(message in m for m in response.json()["errors"]["file"]), response.json()


def test_summary_is_grounded_and_flags_conditions_not_extracted(tenant, clinician, monkeypatch):
    from models_runtime import client as runtime
    from models_runtime.client import InferenceResult

    seen = {}

    def fake_chat(messages, **kwargs):
        seen["prompt"] = messages[-1]["content"]
        return InferenceResult(
            model="chat",
            revision="test",
            queue_ms=1,
            compute_ms=1,
            batch_size=1,
            tokens_in=1,
            tokens_out=12,
            outputs=[
                {
                    "text": "Cough with possible pneumonia; also diabetes and chest pain.",
                    "reasoning": "",
                    "finish_reason": "stop",
                }
            ],
        )

    monkeypatch.setattr(runtime, "chat", fake_chat)
    text = "Patient: Ann Lee\nCough for three days. Possible pneumonia. Denies chest pain."
    note_id = clinician.post(f"{BASE}/notes/", {"text": text}, format="json").json()["id"]
    response = clinician.post(f"{BASE}/notes/{note_id}/summary/")
    assert response.status_code == 200
    flags = {f["label"]: f["reason"] for f in response.json()["flags"]}
    assert flags == {
        "Type 2 diabetes mellitus without complications": "not among the extracted entities",
        "Chest pain": "the note negates it",
    }
    assert "Ann Lee" not in seen["prompt"] and "(condition): uncertain" in seen["prompt"]
    event = _events(tenant, "medical_records.extraction.summarize").get()
    assert (event.model_name, event.model_revision) == ("chat", "test")
