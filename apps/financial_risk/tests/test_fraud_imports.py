"""Transactions uploaded as CSV (``POST /api/v1/risk/transaction-imports/``): the upload guard,
card numbers tokenised on arrival exactly as on the API path, a job with progress, errors
naming row and field, nothing stored from a bad file, audited, no clear card number anywhere."""

from __future__ import annotations

import gzip
import logging

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from apps.accounts.roles import Role
from apps.audit.models import AuditEvent
from apps.financial_risk.models import Transaction, TransactionImport
from apps.financial_risk.services import fraud_imports
from apps.financial_risk.services.fraud_state import tenant_state_clear
from apps.financial_risk.services.fraud_transactions import card_token
from apps.jobs.models import Job

from .test_fraud_api import _redis_containing, _tables_containing

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.django_db]

IMPORTS = "/api/v1/risk/transaction-imports/"
HEADER = (
    "account,amount,currency,occurred_at,merchant_category,channel,country,device_id,"
    "card_number,is_fraud"
)
CARD = "4111 1111 1111 1111"
CARD_DIGITS = CARD.replace(" ", "")
OTHER_CARD = "5500-0000-0000-0004"


def csv_file(*lines: str, name: str = "transactions.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, ("\n".join(lines) + "\n").encode(), content_type="text/csv")


def good_lines() -> list[str]:
    return [
        HEADER,
        f"acct-1,12.50,EUR,2026-02-01T10:00:00Z,5411,pos,FR,dev-1,{CARD},false",
        f"acct-1,99.00,EUR,2026-02-01T11:00:00Z,5732,ecom,FR,dev-2,{CARD},true",
        f"acct-2,5.00,GBP,2026-02-01T12:00:00Z,5812,pos,GB,,{OTHER_CARD},",
    ]


def upload(client, file, capture):
    with capture(execute=True):
        response = client.post(IMPORTS, {"file": file}, format="multipart")
    return response


@pytest.fixture
def analyst(tenant, make_api_client):
    client = make_api_client(tenant, Role.ANALYST)
    yield client
    tenant_state_clear(tenant=tenant)


def test_a_csv_file_is_stored_by_a_job_with_cards_tokenised_like_the_api(
    tenant, analyst, django_capture_on_commit_callbacks
):
    response = upload(analyst, csv_file(*good_lines()), django_capture_on_commit_callbacks)
    assert response.status_code == 202, response.content
    job = Job.objects.get(pk=response.json()["id"])
    assert job.state == "succeeded", job.error
    assert job.result["created"] == 3
    assert (job.progress_done, job.progress_total) == (3, 3)
    imported = analyst.get(response.json()["import_url"]).json()
    assert imported["state"] == "stored" and imported["stored_count"] == 3
    assert imported["errors"] == [] and imported["row_count"] == 3
    stored = Transaction.objects.filter(tenant=tenant).order_by("occurred_at")
    assert [t.card for t in stored] == [card_token(CARD_DIGITS)] * 2 + [
        card_token(OTHER_CARD.replace("-", ""))
    ]
    assert [t.is_fraud for t in stored] == [False, True, False]
    assert stored[2].device_id == ""  # an empty optional cell takes the API's default
    # the same card through the JSON API gets the same token
    one = {
        "account": "acct-3", "amount": "1.00", "currency": "EUR",
        "occurred_at": "2026-02-02T10:00:00Z", "merchant_category": 5411, "channel": "pos",
        "country": "FR", "card_number": CARD,
    }  # fmt: skip
    assert analyst.post("/api/v1/risk/transactions/", one, format="json").status_code == 201
    assert Transaction.objects.get(account__external_id="acct-3").card == stored[0].card
    # audited: the upload, and the storing (one event naming the import)
    assert AuditEvent.objects.filter(
        action="financial_risk.transactions.import.start", row_count=3
    ).exists()
    ingest = AuditEvent.objects.get(action="financial_risk.transactions.ingest", row_count=3)
    assert ingest.details["import"] == imported["id"]
    # the staged file is emptied once stored
    assert bytes(TransactionImport.objects.get(pk=imported["id"]).data) == b""


def test_a_bad_row_rejects_the_whole_file_with_errors_naming_row_and_field(
    tenant, analyst, django_capture_on_commit_callbacks
):
    lines = good_lines()
    lines[2] = lines[2].replace("99.00", "ninety")  # line 3: amount
    lines.append("acct-2,5.00,GBP,2026-02-01T13:00:00Z,5812,pos,GB,,4111-xxxx-1111,")  # 5: card
    lines.append(f"acct-2,5.00,GBP,2026-02-01T14:00:00Z,5812,pos,GB,extra,,{CARD},")  # 6: cells
    lines.append("acct-2,5.00,GBP,2026-02-01T15:00:00Z,5812,carrier-pigeon,GB,,,")  # 7: channel
    response = upload(analyst, csv_file(*lines), django_capture_on_commit_callbacks)
    assert response.status_code == 202
    job = Job.objects.get(pk=response.json()["id"])
    assert job.state == "failed"
    assert "4 error(s), nothing stored; first: row 3, amount" in job.error
    imported = analyst.get(response.json()["import_url"]).json()
    assert imported["state"] == "rejected" and imported["error_count"] == 4
    assert [(e["row"], e["field"]) for e in imported["errors"]] == [
        (3, "amount"), (5, "card_number"), (6, "file"), (7, "channel"),
    ]  # fmt: skip
    assert "digits" in imported["errors"][1]["message"]
    assert Transaction.objects.filter(tenant=tenant).count() == 0  # nothing half-stored
    assert AuditEvent.objects.filter(
        action="financial_risk.transactions.import.reject", resource_id=imported["id"]
    ).exists()


def test_progress_is_reported_chunk_by_chunk(
    tenant, analyst, django_capture_on_commit_callbacks, monkeypatch
):
    monkeypatch.setattr(fraud_imports, "CHUNK_ROWS", 2)
    seen = []
    real = fraud_imports._validate

    def watch(header, rows, progress):
        return real(header, rows, lambda d, t, m: (seen.append((d, t)), progress(d, t, m)))

    monkeypatch.setattr(fraud_imports, "_validate", watch)
    response = upload(analyst, csv_file(*good_lines()), django_capture_on_commit_callbacks)
    assert Job.objects.get(pk=response.json()["id"]).state == "succeeded"
    assert seen == [(2, 3), (3, 3)]


@pytest.mark.parametrize(
    "lines, name, field_text",
    [
        ([HEADER.replace("currency", "colour")], "t.csv", "unknown column(s) colour"),
        ([HEADER.replace(",country", "")], "t.csv", "missing column(s) country"),
        ([HEADER], "t.csv", "only a header"),
        ([HEADER, "acct-1,1,EUR"], "t.parquet", "File name must end"),
    ],
)
def test_a_file_that_cannot_be_used_is_a_400_naming_file_and_stores_nothing(
    tenant, analyst, lines, name, field_text
):
    response = analyst.post(IMPORTS, {"file": csv_file(*lines, name=name)}, format="multipart")
    assert response.status_code == 400, response.content
    assert field_text in response.json()["errors"]["file"][0]
    assert not TransactionImport.objects.filter(tenant=tenant).exists()


def test_the_upload_guard_caps_rows_and_cells(tenant, analyst, settings):
    settings.UPLOAD_LIMITS = {"max_rows": 2}
    response = analyst.post(IMPORTS, {"file": csv_file(*good_lines())}, format="multipart")
    assert response.status_code == 413 and "max_rows" in response.json()["errors"]["file"][0]
    settings.UPLOAD_LIMITS = {"max_cell_chars": 30}
    lines = [*good_lines()[:2], good_lines()[2].replace("dev-2", "d" * 40)]
    response = analyst.post(IMPORTS, {"file": csv_file(*lines)}, format="multipart")
    assert response.status_code == 413 and "line 3" in response.json()["errors"]["file"][0]
    assert not TransactionImport.objects.filter(tenant=tenant).exists()


def test_other_roles_cannot_import(tenant, make_api_client):
    for role in (Role.AUDITOR, Role.AGENT):
        client = make_api_client(tenant, role)
        assert client.post(IMPORTS, {"file": csv_file(*good_lines())}).status_code == 403
        assert client.get(IMPORTS).status_code == 403


def test_no_clear_card_number_in_the_database_logs_or_redis_after_a_csv_import(
    tenant, analyst, django_capture_on_commit_callbacks, caplog, capsys
):
    caplog.set_level(logging.DEBUG)
    # staged, before its job runs: tokens only (the staged file is gzip: look inside it)
    staged = analyst.post(IMPORTS, {"file": csv_file(*good_lines())}, format="multipart")
    text = gzip.decompress(bytes(TransactionImport.objects.get(pk=staged.json()["import_id"]).data))
    assert CARD_DIGITS.encode() not in text and CARD.encode() not in text
    assert card_token(CARD_DIGITS).encode() in text
    good = upload(analyst, csv_file(*good_lines()), django_capture_on_commit_callbacks)
    assert Job.objects.get(pk=good.json()["id"]).state == "succeeded"
    bad_lines = good_lines()
    bad_lines.append(f"acct-9,1.00,EUR,2026-02-03T10:00:00Z,5411,pos,FR,x,y,{CARD},")  # misaligned
    bad_lines.append(f"acct-9,1.00,EUR,2026-02-03T11:00:00Z,5411,pos,FR,,{CARD}99999,")  # too long
    bad = upload(analyst, csv_file(*bad_lines), django_capture_on_commit_callbacks)
    assert Job.objects.get(pk=bad.json()["id"]).state == "failed"
    for text in (CARD_DIGITS, CARD, OTHER_CARD, OTHER_CARD.replace("-", "")):
        assert _tables_containing(text) == [], text
        assert _redis_containing(text) == [], text
        assert text not in caplog.text
        captured = capsys.readouterr()
        assert text not in captured.out and text not in captured.err
    token = card_token(CARD_DIGITS)
    assert "financial_risk_transaction" in _tables_containing(token)
