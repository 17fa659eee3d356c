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
    ],
)
def test_plain_log_lines_skip_analysis(text, monkeypatch):
    def fail(*args, **kwargs):
        raise AssertionError("Presidio should not run for this text")

    logmask.clear_log_cache()
    monkeypatch.setattr(masking, "mask_pii", fail)
    assert not may_contain_pii(text)
    assert mask_for_log(text) == text


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
