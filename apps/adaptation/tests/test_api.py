"""The adaptation API: training-set upload, training as a job (tiny model, in-process),
evaluation, promotion rules and their audit, roles."""

from __future__ import annotations

import json

import pytest

from apps.adaptation.models import AdapterState, AdapterVersion, TrainingSet
from apps.audit.models import AuditEvent

from .factories import IMPROVED, WORSE, adapter_version

pytestmark = pytest.mark.django_db

ADAPTERS = "/api/v1/adaptation/adapters/"
SETS = "/api/v1/adaptation/training-sets/"


def _jsonl(rows):
    return "\n".join(json.dumps(row) for row in rows)


def test_upload_validates_deduplicates_and_masks(tenant, make_api_client):
    client = make_api_client(tenant, "analyst")
    rows = [{"prompt": f"Question {i}?", "response": f"Answer {i}."} for i in range(4)] + [
        {"prompt": "Question 0?", "response": "Answer 0."},
        {"prompt": "Mail me at jane@example.com", "response": "We will."},
    ]
    response = client.post(SETS, {"name": "faq", "jsonl": _jsonl(rows)}, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["pair_count"], body["duplicates_dropped"], body["masked_fields"]) == (5, 1, 1)
    stored = TrainingSet.objects.get(pk=body["id"])
    assert "jane@example.com" not in json.dumps(stored.pairs)
    assert AuditEvent.objects.filter(
        tenant=tenant, action="adaptation.training_set.create"
    ).exists()

    bad = client.post(
        SETS,
        {"name": "bad", "jsonl": _jsonl(rows[:2]) + "\n{oops\n" + json.dumps({"prompt": "x"})},
        format="json",
    )
    assert bad.status_code == 400
    problems = bad.json()["errors"]["jsonl"]
    assert problems[0].startswith("line 3:") and problems[1].startswith("line 4:")


def test_upload_as_a_file(tenant, make_api_client):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = make_api_client(tenant, "admin")
    upload = SimpleUploadedFile(
        "pairs.jsonl",
        _jsonl([{"prompt": "a?", "response": "b"}, {"prompt": "c?", "response": "d"}]).encode(),
    )
    response = client.post(SETS, {"name": "file", "file": upload}, format="multipart")
    assert response.status_code == 201, response.content
    assert response.json()["source_filename"] == "pairs.jsonl"
    pdf = SimpleUploadedFile("pairs.pdf", b"%PDF-1.4 binary", content_type="application/pdf")
    refused = client.post(SETS, {"name": "pdf", "file": pdf}, format="multipart")
    assert refused.status_code == 400 and "file" in refused.json()["errors"]
    neither = client.post(SETS, {"name": "none"}, format="json")
    assert neither.status_code == 400 and "file" in neither.json()["errors"]


def test_training_requests_are_checked_before_a_job_starts(tenant, other_tenant, make_api_client):
    from .factories import training_set

    client = make_api_client(tenant, "analyst")
    theirs = training_set(other_tenant)
    cases = [
        ({"name": "Bad Name!", "sources": ["demo"]}, "name"),
        ({"name": "ok", "sources": ["email"]}, "sources"),
        ({"name": "ok"}, "sources"),
        ({"name": "ok", "training_set": str(theirs.pk)}, "training_set"),
        ({"name": "ok", "sources": ["demo"], "base_model": "embed"}, "base_model"),
        ({"name": "ok", "sources": ["demo"], "training_config": {"rank": 999}}, "training_config"),
        ({"name": "ok", "sources": ["demo"], "training_config": {"colour": 1}}, "training_config"),
    ]
    for body, field in cases:
        response = client.post(ADAPTERS, body, format="json")
        assert response.status_code == 400, (body, response.content)
        keys = {key.split(".")[0] for key in response.json()["errors"]}
        assert field in keys, (body, response.json())
    assert not AdapterVersion.objects.exists()


def test_training_job_registers_a_draft_with_its_model_card(
    tenant, tiny_settings, make_api_client, django_capture_on_commit_callbacks
):
    from apps.jobs.models import Job
    from knowledge.services.seeds import seed_graph_ensure

    from .factories import training_set

    seed_graph_ensure(tenant=tenant, seed="customer_service")  # 12 FAQ nodes
    uploaded = training_set(tenant)
    client = make_api_client(tenant, "analyst")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            ADAPTERS,
            {
                "name": "shop",
                "base_model": "tiny",
                "sources": ["faq", "corrections"],
                "training_set": str(uploaded.pk),
                "training_config": {"max_steps": 2, "eval_every": 1, "batch_size": 16},
            },
            format="json",
        )
    assert response.status_code == 202, response.content
    job = Job.objects.get(pk=response.json()["id"])
    assert job.state == "succeeded", job.error
    assert job.result["history"][0]["step"] == 1 and "val_loss" in job.result["history"][0]
    adapter = AdapterVersion.objects.get(tenant=tenant, name="shop")
    assert (adapter.version, adapter.state, adapter.base_model) == (1, "draft", "tiny")
    card = adapter.card
    assert card["seed"] == 0 and card["data"]["digest"] == adapter.data_digest
    assert {"torch", "transformers", "peft", "rouge-score"} <= set(card["library_versions"])
    assert (card["data"]["sources"]["faq"], card["data"]["sources"]["upload"]) == (12, 3)
    assert card["data"]["train_pairs"] + card["data"]["validation_pairs"] == 15
    assert card["parameters"]["trainable_fraction"] < 0.01
    figures = adapter.evaluation
    for name in ("val_loss", "perplexity", "rougeL", "key_fact_share"):
        assert f"{name}_base" in figures and f"{name}_adapted" in figures
    assert len(figures["examples"]) == 2 and {"base", "adapted", "reference"} <= set(
        figures["examples"][0]
    )
    detail = client.get(f"{ADAPTERS}{adapter.pk}/").json()
    assert detail["card"]["adapter_digest"] == adapter.digest
    assert "weights" not in detail
    assert AuditEvent.objects.filter(tenant=tenant, action="adaptation.adapter.train").exists()

    with django_capture_on_commit_callbacks(execute=True):
        evaluated = client.post(f"{ADAPTERS}{adapter.pk}/evaluate/", {}, format="json")
    assert evaluated.status_code == 202
    assert Job.objects.get(pk=evaluated.json()["id"]).state == "succeeded"
    adapter.refresh_from_db()
    assert adapter.evaluation["val_loss_adapted"] == pytest.approx(
        figures["val_loss_adapted"], abs=1e-3
    )


def test_corrections_come_from_the_configured_sources(tenant, settings):
    from apps.adaptation.services import training_pairs_collect

    settings.ADAPTATION_PAIR_SOURCES = ["apps.adaptation.tests.test_api.two_corrections"]
    pairs, counts = training_pairs_collect(tenant=tenant, sources=["corrections"])
    assert counts["corrections"] == 2 and counts["corrections_skipped"] == 1
    assert [p.source for p in pairs] == ["cs-correction:1", "cs-correction:2"]
    assert "<EMAIL_ADDRESS>" in pairs[1].prompt


def two_corrections(*, tenant):
    return [
        {
            "prompt": "Can I return boots?",
            "response": "Within 30 days.",
            "source": "cs-correction:1",
        },
        {"prompt": "Write to bob@example.com", "response": "Done.", "source": "cs-correction:2"},
        {"prompt": "", "response": "no question", "source": "cs-correction:3"},
    ]


def test_faq_nodes_become_pairs(tenant):
    from apps.adaptation.services import faq_pairs
    from knowledge.services.seeds import seed_graph_ensure

    seed_graph_ensure(tenant=tenant, seed="customer_service")
    pairs = faq_pairs(tenant=tenant)
    assert len(pairs) == 12
    refund = next(p for p in pairs if p.prompt == "When will I get my refund?")
    assert "5 business days" in refund.response


def test_promotion_needs_the_admin_role(tenant, make_api_client):
    adapter = adapter_version(tenant)
    for role in ("analyst", "agent", "auditor", "clinician"):
        response = make_api_client(tenant, role).post(f"{ADAPTERS}{adapter.pk}/promote/")
        assert response.status_code == 403, role
    adapter.refresh_from_db()
    assert adapter.state == "draft"


def test_promotion_needs_an_improvement_and_is_audited(tenant, make_api_client):
    client = make_api_client(tenant, "admin")
    worse = adapter_version(tenant, evaluation=WORSE)
    refused = client.post(f"{ADAPTERS}{worse.pk}/promote/")
    assert refused.status_code == 400 and "did not improve" in refused.json()["errors"]["state"][0]
    worse.refresh_from_db()
    assert worse.state == "draft"
    event = AuditEvent.objects.get(tenant=tenant, action="adaptation.adapter.promote")
    assert event.outcome == "error" and event.resource_id == str(worse.pk)

    first = adapter_version(tenant, evaluation=IMPROVED)
    assert client.post(f"{ADAPTERS}{first.pk}/promote/").json()["state"] == "promoted"
    second = adapter_version(tenant, evaluation=IMPROVED)
    assert client.post(f"{ADAPTERS}{second.pk}/promote/").status_code == 200
    first.refresh_from_db()
    assert first.state == AdapterState.RETIRED
    again = client.post(f"{ADAPTERS}{second.pk}/promote/")
    assert again.status_code == 400 and "already promoted" in again.json()["errors"]["state"][0]
    ok = AuditEvent.objects.filter(
        tenant=tenant, action="adaptation.adapter.promote", outcome="success"
    ).order_by("seq")
    assert [e.resource_id for e in ok] == [str(first.pk), str(second.pk)]
    assert ok[1].details["displaced"] == first.label
    assert ok[1].details["val_loss_adapted"] == IMPROVED["val_loss_adapted"]
    assert ok[1].model_revision == second.label

    retired = client.post(f"{ADAPTERS}{second.pk}/retire/")
    assert retired.json()["state"] == "retired"


def test_another_tenants_adapter_is_not_found(tenant, other_tenant, make_api_client):
    theirs = adapter_version(other_tenant)
    client = make_api_client(tenant, "admin")
    for suffix in ("", "promote/", "evaluate/", "retire/"):
        method = client.get if not suffix else client.post
        assert method(f"{ADAPTERS}{theirs.pk}/{suffix}").status_code == 404
    theirs.refresh_from_db()
    assert theirs.state == "draft"
    assert client.get(ADAPTERS).json()["count"] == 0


def test_merge_export_command_writes_full_weights(tenant, tiny_settings, tiny_llama, tmp_path):
    import torch
    from django.core.management import call_command

    from apps.adaptation.engine import lora
    from apps.adaptation.services import load_adapted

    from .factories import adapter_files_for

    adapter = adapter_version(tenant, base_model="tiny", files=adapter_files_for(tiny_llama))
    call_command("adapter_export", str(adapter.pk), "--out", str(tmp_path / "merged"))
    merged, tokenizer = lora.load_base(str(tmp_path / "merged"), "cpu", torch.float32)
    adapted, _ = load_adapted(adapter)
    ids = tokenizer("user: hello\nassistant:", return_tensors="pt")
    with torch.inference_mode():
        torch.testing.assert_close(
            merged(**ids).logits, adapted(**ids).logits, atol=1e-4, rtol=1e-4
        )
    assert AuditEvent.objects.filter(tenant=tenant, action="adaptation.adapter.export").exists()


def test_a_training_job_without_enough_pairs_fails_with_the_reason(
    tenant, tiny_settings, make_api_client, django_capture_on_commit_callbacks
):
    from apps.jobs.models import Job

    client = make_api_client(tenant, "admin")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            ADAPTERS, {"name": "empty", "base_model": "tiny", "sources": ["faq"]}, format="json"
        )
    assert response.status_code == 202
    job = Job.objects.get(pk=response.json()["id"])
    assert job.state == "failed" and "0 pairs; at least 10 are needed" in job.error
    assert job.attempts == 1  # bad data is not retried
    assert not AdapterVersion.objects.filter(tenant=tenant).exists()
