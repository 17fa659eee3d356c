"""Detection and masking of each kind of personal identifier, and texts that must stay as they
are."""

from __future__ import annotations

import dataclasses
import threading

import pytest
from presidio_analyzer import Pattern, PatternRecognizer
from presidio_anonymizer.entities import OperatorConfig

from apps.privacy import engine
from apps.privacy.masking import Finding, detect_pii, mask_findings, mask_pii
from apps.privacy.recognizers import cn_resident_id_is_valid

# (text, the identifier in it, the entity type it must be reported as)
POSITIVES = [
    ("write to jane.doe@example.com today", "jane.doe@example.com", "EMAIL_ADDRESS"),
    ("e-mail first.last+tag@example.co.uk", "first.last+tag@example.co.uk", "EMAIL_ADDRESS"),
    # In URLs, as request logs show them: in a path, in a query string, percent- and
    # plus-encoded.
    ("Not Found: /api/v1/jobs/jane.doe@example.com/", "jane.doe@example.com", "EMAIL_ADDRESS"),
    ("GET /api/v1/jobs/?kind=jane.doe@example.com&x=1", "jane.doe@example.com", "EMAIL_ADDRESS"),
    ("GET /api/v1/jobs/jane.doe%40example.com/", "jane.doe%40example.com", "EMAIL_ADDRESS"),
    ("GET /pay?note=card+4111+1111+1111+1111", "4111+1111+1111+1111", "CREDIT_CARD"),
    ("GET /cb?note=call+415-555-0132+now", "415-555-0132", "PHONE_NUMBER"),
    ("call +44 20 7946 0958 after five", "+44 20 7946 0958", "PHONE_NUMBER"),
    ("call +1 (415) 555-0132 after five", "+1 (415) 555-0132", "PHONE_NUMBER"),
    ("call 415-555-0132 after five", "415-555-0132", "PHONE_NUMBER"),
    ("call (415) 555-0132 after five", "(415) 555-0132", "PHONE_NUMBER"),
    ("Beijing office 010-62345678", "010-62345678", "PHONE_NUMBER"),
    ("paid with 4111 1111 1111 1111 yesterday", "4111 1111 1111 1111", "CREDIT_CARD"),
    ("paid with 5500-0000-0000-0004 yesterday", "5500-0000-0000-0004", "CREDIT_CARD"),
    ("paid with 378282246310005 yesterday", "378282246310005", "CREDIT_CARD"),
    ("transfer to GB82 WEST 1234 5698 7654 32 now", "GB82 WEST 1234 5698 7654 32", "IBAN_CODE"),
    ("transfer to DE89370400440532013000 now", "DE89370400440532013000", "IBAN_CODE"),
    ("login from 192.168.1.20 refused", "192.168.1.20", "IP_ADDRESS"),
    ("login from 2001:db8::8a2e:370:7334 refused", "2001:db8::8a2e:370:7334", "IP_ADDRESS"),
    ("SSN 536-90-4399 on file", "536-90-4399", "US_SSN"),
    ("NHS number 943 476 5919 on file", "943 476 5919", "UK_NHS"),
    ("NINO AB123456C on file", "AB123456C", "UK_NINO"),
    ("codice fiscale RSSMRA85T10A562S", "RSSMRA85T10A562S", "IT_FISCAL_CODE"),
    ("身份证号11010519491231002X已登记", "11010519491231002X", "CN_RESIDENT_ID"),
    ("ID 11010519491231002X on file", "11010519491231002X", "CN_RESIDENT_ID"),
    ("手机13800138000联系", "13800138000", "PHONE_NUMBER"),
    ("mobile 138 0013 8000 please", "138 0013 8000", "PHONE_NUMBER"),
    ("mobile +86 139 1234 5678 please", "+86 139 1234 5678", "PHONE_NUMBER"),
    ("ship to 221B Baker Street, London", "221B Baker Street", "STREET_ADDRESS"),
    (
        "lives at 1600 Amphitheatre Pkwy, Suite 200",
        "1600 Amphitheatre Pkwy, Suite 200",
        "STREET_ADDRESS",
    ),
    ("office at 42 West 5th Avenue", "42 West 5th Avenue", "STREET_ADDRESS"),
    ("我住在北京市朝阳区建国路88号", "北京市朝阳区建国路88号", "STREET_ADDRESS"),
    ("account 12345678 was closed", "12345678", "ACCOUNT_NUMBER"),
    ("acct# 00-1234-5678 was closed", "00-1234-5678", "ACCOUNT_NUMBER"),
    ("账号：6222 0200 1234 5678 已冻结", "6222 0200 1234 5678", "ACCOUNT_NUMBER"),
    ("Jane Doe called about her order", "Jane Doe", "PERSON"),
    ("escalated by John F. Kennedy", "John F. Kennedy", "PERSON"),
    ("seen by Dr. Chen this morning", "Chen", "PERSON"),
    ("Mrs O'Brien-Smith phoned", "O'Brien-Smith", "PERSON"),
    ("my name is john smith", "john smith", "PERSON"),
    ("Name: Zhang Wei", "Zhang Wei", "PERSON"),
    ("Dear Alice, thanks", "Alice", "PERSON"),
    ("联系人John Smith已确认", "John Smith", "PERSON"),
]


@pytest.mark.parametrize(("text", "identifier", "entity_type"), POSITIVES)
def test_identifier_is_detected_and_masked(text, identifier, entity_type):
    start = text.index(identifier)
    findings = detect_pii(text)
    assert any(
        f.entity_type == entity_type and f.start <= start and f.end >= start + len(identifier)
        for f in findings
    ), findings

    masked = mask_pii(text)
    assert identifier not in masked
    assert f"<{entity_type}>" in masked


def test_email_masking_keeps_surrounding_text():
    assert mask_pii("mail jane@example.com now") == "mail <EMAIL_ADDRESS> now"


def test_email_right_after_chinese_text_is_masked_without_the_chinese():
    assert mask_pii("邮箱test@example.com，谢谢") == "邮箱<EMAIL_ADDRESS>，谢谢"


def test_card_failing_the_luhn_check_is_not_a_card():
    findings = detect_pii("paid with 4111-1111-1111-1112 yesterday")
    assert "CREDIT_CARD" not in {f.entity_type for f in findings}


def test_chinese_id_with_a_wrong_check_digit_is_not_reported():
    assert cn_resident_id_is_valid("11010519491231002X")
    assert not cn_resident_id_is_valid("110105194912310021")
    findings = detect_pii("ID 110105194912310021 on file")
    assert "CN_RESIDENT_ID" not in {f.entity_type for f in findings}


@pytest.mark.parametrize(
    "text",
    [
        "Will you call in May?",
        "May 2024 report ready",
        "Mark as read",
        "Grant access to the admin page",
        "Max Retries Exceeded",
        "Cache Miss Rate 0.5",
        "Dr. Who",
        "I'm tired",
        "Task name: Cleanup finished",
        "Hello World",
        "GET /api/v1/items/42 200 13ms",
        "Processed 1732480000 events in 12.5s",
        "Worker pid=12345 started at 2024-05-01T12:30:45Z",
        "request 550e8400-e29b-41d4-a716-446655440000 done",
        "Model MiniLM-L6-v2 revision 7dcd93b loaded in 0.31 s",
        # Django's str(datetime) with microseconds and offset: "01.571234+00" is phone-shaped.
        "Cleaned up 0 expired access attempts older than 2026-12-06 19:45:01.571234+00:00",
        "GET /api/v1/risk/scores/ -> 200 in 15280 ms",
    ],
)
def test_ordinary_text_is_left_alone(text):
    assert mask_pii(text) == text


def test_a_phone_number_beside_a_timestamp_is_still_masked():
    text = "call 415-555-0132 before 2026-12-06 19:45:01.571234+00:00"
    assert mask_pii(text) == "call <PHONE_NUMBER> before 2026-12-06 19:45:01.571234+00:00"


def test_findings_carry_no_matched_text():
    (finding,) = detect_pii("write to jane.doe@example.com")
    assert {field.name for field in dataclasses.fields(Finding)} == {
        "entity_type",
        "start",
        "end",
        "score",
    }
    assert "jane" not in repr(finding)


def test_entities_argument_limits_the_search():
    text = "Jane Doe, jane@example.com, 415-555-0132"
    assert {f.entity_type for f in detect_pii(text, entities=["EMAIL_ADDRESS"])} == {
        "EMAIL_ADDRESS"
    }


def test_empty_text():
    assert detect_pii("") == []
    assert mask_pii("") == ""


def test_chinese_language_is_supported():
    assert mask_pii("请拨打13800138000", language="zh") == "请拨打<PHONE_NUMBER>"


def test_build_analyzer_adds_extra_recognizers_without_changing_the_default():
    # (Medical record numbers are in the default set now: an employee number stands in.)
    employee = PatternRecognizer(
        supported_entity="EMPLOYEE_NUMBER",
        patterns=[Pattern("employee", r"\bEMP-\d{6}\b", 0.9)],
    )
    analyzer = engine.build_analyzer(extra_recognizers=[employee])
    text = "EMP-123456 belongs to jane@example.com"

    assert mask_pii(text, analyzer=analyzer) == "<EMPLOYEE_NUMBER> belongs to <EMAIL_ADDRESS>"
    assert mask_pii(text) == "EMP-123456 belongs to <EMAIL_ADDRESS>"


def test_operators_allow_pseudonyms():
    text = "Jane Doe wrote from jane@example.com"
    pseudonyms = {"PERSON": OperatorConfig("replace", {"new_value": "Patient A"})}
    assert mask_pii(text, operators=pseudonyms) == "Patient A wrote from <EMAIL_ADDRESS>"


def test_overlapping_findings_leave_nothing_behind():
    text = "ref 4111111111111111 end"
    findings = [
        Finding("CREDIT_CARD", 4, 20, 1.0),
        Finding("US_BANK_NUMBER", 8, 24, 0.4),  # overlaps the card and runs past it
    ]
    # Trimmed where they overlap, the two spans still cover every flagged character.
    assert mask_findings(text, findings) == "ref <CREDIT_CARD><US_BANK_NUMBER>"


def test_get_analyzer_builds_one_instance_under_concurrency(monkeypatch):
    monkeypatch.setattr(engine, "_analyzer", None)
    built = []
    real_build = engine.build_analyzer

    def counting_build(*args, **kwargs):
        built.append(1)
        return real_build(*args, **kwargs)

    monkeypatch.setattr(engine, "build_analyzer", counting_build)
    results = []
    barrier = threading.Barrier(8)

    def worker():
        barrier.wait()
        results.append(engine.get_analyzer())

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(built) == 1
    assert len({id(result) for result in results}) == 1
