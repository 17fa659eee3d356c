"""The cheap pre-check the logging path runs before Presidio, and the log-masking cache."""

from __future__ import annotations

import pytest

from apps.privacy import logmask, masking
from apps.privacy.logmask import MAX_LOG_TEXT_CHARS, mask_for_log, may_contain_pii
from apps.privacy.tests.test_detection import POSITIVES


@pytest.mark.parametrize(("text", "identifier", "entity_type"), POSITIVES)
def test_every_detectable_identifier_passes_the_precheck(text, identifier, entity_type):
    # If this fails, the pre-check would let the logging filter skip text that holds PII.
    assert may_contain_pii(text)
    assert may_contain_pii(identifier) or entity_type == "PERSON"


@pytest.mark.parametrize(
    "text",
    [
        "Cache refreshed for tenant settings",
        "Loaded 3 models in 1.2 s",
        "Retrying task apps.jobs.tasks.run_job_task in 30s",
        "Will you call in May?",
        "Batch of 16 texts embedded in 49 ms",
        # A request line whose path holds public ids (UUIDs) and nothing else.
        "GET /api/v1/risk/decisions/0b9d5c7e-4a1f-4c3e-9d2a-7f6e5d4c3b2a/ -> 200 in 12 ms",
        "POST /admin/knowledge/node/5f0c2d1e-9b8a-4c7d-a6e5-1234567890ab/change/ -> 302",
        # A machine timestamp (django-axes logs this on every sign-in).
        "AXES: Cleaned up 0 expired access attempts from database that were older than "
        "2026-12-07 04:21:52.685418+00:00",
    ],
)
def test_plain_log_lines_skip_analysis(text, monkeypatch):
    def fail(*args, **kwargs):
        raise AssertionError("Presidio should not run for this text")

    logmask.clear_log_cache()
    monkeypatch.setattr(masking, "mask_pii", fail)
    assert not may_contain_pii(text)
    assert mask_for_log(text) == text


@pytest.mark.parametrize(
    "text",
    [
        # Personal data beside a UUID still reaches the analysis, and is masked.
        "GET /api/v1/customers/0b9d5c7e-4a1f-4c3e-9d2a-7f6e5d4c3b2a/?email=ann.lee@example.com",
        "Note 5f0c2d1e-9b8a-4c7d-a6e5-1234567890ab: call +44 20 7946 0958 back",
        "ref 5f0c2d1e-9b8a-4c7d-a6e5-1234567890ab and 4111111111111111",
        "at 2026-12-07T04:21:52Z the caller left +44 20 7946 0958",
    ],
)
def test_uuids_do_not_hide_what_is_beside_them(text):
    logmask.clear_log_cache()
    assert may_contain_pii(text)
    masked = mask_for_log(text)
    assert "ann.lee@example.com" not in masked
    assert "7946 0958" not in masked
    assert "4111111111111111" not in masked


@pytest.mark.parametrize(
    "text",
    [
        # A UUID after a cue may be a record or account number: the recognizers decide.
        "Patient ID: 0b9d5c7e-4a1f-4c3e-9d2a-7f6e5d4c3b2a",
        "account no: 5f0c2d1e-9b8a-4c7d-a6e5-1234567890ab",
        # Not a canonical UUID in a path (a digit run glued on): analysed like any such token.
        "GET /notes/5f0c2d1e-9b8a-4c7d-a6e5-1234567890ab77/",
    ],
)
def test_a_uuid_outside_a_url_path_still_reaches_the_analysis(text):
    assert may_contain_pii(text)


def test_a_bare_date_still_reaches_the_analysis():
    # A birth date is not a machine timestamp: the pre-check lets it through.
    assert may_contain_pii("born 1984-03-12")


def test_repeated_messages_are_served_from_the_cache(monkeypatch):
    logmask.clear_log_cache()
    calls = []
    real = masking.mask_pii

    def counting(text, **kwargs):
        calls.append(text)
        return real(text, **kwargs)

    monkeypatch.setattr(masking, "mask_pii", counting)
    for _ in range(3):
        assert mask_for_log("mail jane@example.com") == "mail <EMAIL_ADDRESS>"
    assert len(calls) == 1
    logmask.clear_log_cache()


def test_oversized_messages_are_cut_and_still_masked():
    text = "mail jane@example.com " + "x" * (MAX_LOG_TEXT_CHARS + 500)
    masked = mask_for_log(text)
    assert masked.startswith("mail <EMAIL_ADDRESS> ")
    assert masked.endswith(f"<truncated {len(text) - MAX_LOG_TEXT_CHARS} chars>")
    assert "jane@example.com" not in masked
