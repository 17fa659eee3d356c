"""The medical and customer-service flows, run against real processes (gunicorn, the default
worker, the inference worker) logging at DEBUG, with planted names, phone numbers and medical
record numbers: none of them appears in what those processes wrote, loguru's records (PyRuSH
logs every sentence through it) included, while masked placeholders show that the data did
pass through the logs."""

from __future__ import annotations

import json
import time

import pytest
import requests

from apps.accounts.roles import Role
from benchmarks.harness.processes import start_web
from config.celery import app as celery_app
from tests.workers import ROOT, celery_worker, real_broker, worker_env

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

NAME = "Margaret Thornbury"
PHONE = "+1 415-555-0199"
MRN = "88412345"
NEEDLES = (NAME, "Thornbury", PHONE, "415-555-0199", "4155550199", MRN)


def _note(name: str = NAME) -> str:
    return (
        f"Patient {name} (MRN {MRN}, phone {PHONE}) presents with chest pain and shortness "
        "of breath. Denies fever. History of hypertension. Started aspirin 81 mg daily."
    )


def _wait_job(api, url: str, timeout: float = 180) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = api.get(url, timeout=30).json()
        if job["state"] in ("succeeded", "failed", "cancelled"):
            return job
        time.sleep(0.5)
    raise AssertionError(f"job {url} did not finish: {job}")


def test_planted_personal_data_never_reaches_process_logs(tenant, make_api_client, tmp_path):
    from apps.customer_service.services import demo_setup

    demo_setup(tenant=tenant)  # in this process, before the processes under test start
    token = make_api_client(tenant, Role.ADMIN).token
    env = {"DJANGO_LOG_LEVEL": "DEBUG", "DJANGO_LOG_FORMAT": "json"}
    logs = []
    with (
        celery_worker("inference", pool="threads", concurrency=8, **env) as (_i, inference_log),
        celery_worker("default", extra_args=("--include", "tests.logmask_tasks"), **env) as (
            _d,
            default_log,
        ),
        real_broker(celery_app),
    ):
        logs += [inference_log, default_log]
        web, port = start_web(worker_env(**env), tmp_path, ROOT)
        logs.append(tmp_path / "web.log")
        base = f"http://127.0.0.1:{port}/api/v1"
        api = requests.Session()
        api.headers["Authorization"] = f"Api-Key {token}"
        try:
            # Customer service: a conversation that names the customer and asks for a person.
            conversation = api.post(f"{base}/customer-service/conversations/", json={}, timeout=30)
            assert conversation.status_code == 201, conversation.text
            messages = (
                f"{base}/customer-service/conversations/{conversation.json()['id']}/messages/"
            )
            for text in (
                f"Hi, this is {NAME}, my phone is {PHONE}. Where is my order 1042?",
                f"I want to talk to a human agent please. {NAME}, {PHONE}",
            ):
                reply = api.post(messages, json={"text": text}, timeout=180)
                assert reply.status_code == 200, reply.text
            # Medical records: a note structured at once, its summary by the chat model, and a
            # batch structured by the default worker.
            note = api.post(
                f"{base}/medical/notes/",
                json={"text": _note(), "patient_name": NAME, "mrn": MRN},
                timeout=120,
            )
            assert note.status_code == 201, note.text
            summary = api.post(f"{base}/medical/notes/{note.json()['id']}/summary/", timeout=180)
            assert summary.status_code == 200, summary.text
            jsonl = "\n".join(json.dumps({"text": _note(n)}) for n in (NAME, "Jonathan Pemberly"))
            batch = api.post(
                f"{base}/medical/batches/",
                files={"file": ("notes.jsonl", jsonl.encode(), "application/json")},
                timeout=60,
            )
            assert batch.status_code == 202, batch.text
            job = _wait_job(api, batch.headers["Location"])
            assert job["state"] == "succeeded", job
            # loguru inside the worker (see tests/logmask_tasks.py for why it is needed).
            logged = celery_app.send_task(
                "tests.logmask_tasks.loguru_sentence_task", args=[_note()], queue="default"
            )
            assert logged.get(timeout=60) == len(_note())
        finally:
            web.stop()

    output = {path.name: path.read_text(errors="replace") for path in logs}
    everything = "\n".join(output.values())
    assert all(output.values()), {name: len(text) for name, text in output.items()}
    for needle in (*NEEDLES, "Pemberly"):
        leaks = [name for name, text in output.items() if needle in text]
        assert not leaks, f"{needle!r} leaked into the logs of {leaks}"
    # The data did reach the logs, masked: the loguru records, and in them the placeholders.
    records = [json.loads(line) for line in everything.splitlines() if line.startswith("{")]
    loguru = [
        r for r in records if "sentence" in r["message"] and r["logger"] == "tests.logmask_tasks"
    ]
    # (The DEBUG one only where the worker's --loglevel lets DEBUG through.)
    assert loguru, "the worker's loguru records were not captured"
    for placeholder in ("<PERSON>", "<PHONE_NUMBER>", "<MEDICAL_RECORD_NUMBER>"):
        assert all(placeholder in r["message"] for r in loguru), (placeholder, loguru)
