"""The masking filter, the JSON formatter and loguru routing, on real logging handlers."""

from __future__ import annotations

import io
import json
import logging
import sys
from datetime import datetime

import pytest

from apps.core.context import request_id_scope
from apps.privacy import logmask, masking
from apps.privacy.logging import (
    WITHHELD,
    JsonLogFormatter,
    PiiMaskingFilter,
    route_loguru_to_logging,
)

EMAIL = "jane.doe@example.com"
PHONE = "+1 415-555-0132"
CARD = "4111 1111 1111 1111"
LEAKS = (EMAIL, "jane.doe", PHONE, "415-555-0132", CARD, "4111111111111111", "1111 1111")


class Capture:
    """A logger whose only handler masks and formats into a buffer, like the platform's."""

    def __init__(self, name: str, formatter: logging.Formatter) -> None:
        self.buffer = io.StringIO()
        self.handler = logging.StreamHandler(self.buffer)
        self.handler.addFilter(PiiMaskingFilter())
        self.handler.setFormatter(formatter)
        self.logger = logging.getLogger(name)
        self.saved = (self.logger.handlers[:], self.logger.level, self.logger.propagate)
        self.logger.handlers = [self.handler]
        self.logger.setLevel(logging.DEBUG)
        self.logger.propagate = False

    def close(self) -> None:
        self.logger.handlers, level, self.logger.propagate = self.saved
        self.logger.setLevel(level)

    @property
    def output(self) -> str:
        return self.buffer.getvalue()


@pytest.fixture
def text_log(request):
    capture = Capture(f"privacy-test.{request.node.name}", logging.Formatter("%(message)s"))
    yield capture
    capture.close()


@pytest.fixture
def json_log(request):
    capture = Capture(f"privacy-test-json.{request.node.name}", JsonLogFormatter())
    yield capture
    capture.close()


def assert_no_leaks(output: str) -> None:
    for needle in LEAKS:
        assert needle not in output, f"{needle!r} leaked: {output!r}"


def test_message_with_email_phone_and_card_is_masked(text_log):
    text_log.logger.info(f"contact {EMAIL} or {PHONE}, paid with {CARD}")
    assert_no_leaks(text_log.output)
    assert "<EMAIL_ADDRESS>" in text_log.output
    assert "<PHONE_NUMBER>" in text_log.output
    assert "<CREDIT_CARD>" in text_log.output


def test_percent_arguments_are_masked(text_log):
    text_log.logger.warning("user %s phone %s card %s", EMAIL, PHONE, CARD)
    assert_no_leaks(text_log.output)
    assert text_log.output.strip() == "user <EMAIL_ADDRESS> phone <PHONE_NUMBER> card <CREDIT_CARD>"


def test_mapping_arguments_are_masked(text_log):
    text_log.logger.info("user %(email)s", {"email": EMAIL})
    assert text_log.output.strip() == "user <EMAIL_ADDRESS>"


def test_record_is_rewritten_for_later_handlers():
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "mail %s", (EMAIL,), None)
    assert PiiMaskingFilter().filter(record) is True
    assert record.msg == "mail <EMAIL_ADDRESS>"
    assert record.args is None


def test_exception_text_is_masked(text_log):
    try:
        raise ValueError(f"card {CARD} declined for {EMAIL}")
    except ValueError:
        text_log.logger.exception("payment failed for %s", PHONE)
    assert "Traceback" in text_log.output
    assert "ValueError: card <CREDIT_CARD> declined for <EMAIL_ADDRESS>" in text_log.output
    assert_no_leaks(text_log.output)


def test_exception_info_is_cleared_after_masking():
    try:
        raise RuntimeError(EMAIL)
    except RuntimeError:
        record = logging.LogRecord("x", logging.ERROR, __file__, 1, "boom", None, sys.exc_info())
    PiiMaskingFilter().filter(record)
    assert record.exc_info is None
    assert "RuntimeError: <EMAIL_ADDRESS>" in record.exc_text


def test_stack_info_is_masked(text_log):
    def log_with_stack(address):
        text_log.logger.info("stack for %s", address, stack_info=True)

    log_with_stack(EMAIL)
    assert "Stack (most recent call last)" in text_log.output
    assert_no_leaks(text_log.output)


def test_message_left_by_an_earlier_formatter_is_masked_too():
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "mail %s", (EMAIL,), None)
    logging.Formatter("%(message)s").format(record)  # a handler without the filter ran first
    PiiMaskingFilter().filter(record)
    assert record.message == "mail <EMAIL_ADDRESS>"


def test_string_extra_fields_are_masked_and_others_kept():
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "event", None, None)
    record.customer = f"write to {EMAIL}"
    record.status_code = 404
    PiiMaskingFilter().filter(record)
    assert record.customer == "write to <EMAIL_ADDRESS>"
    assert record.status_code == 404


def test_request_id_is_added_from_the_request_context():
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "hello", None, None)
    with request_id_scope("req-42"):
        PiiMaskingFilter().filter(record)
    assert record.request_id == "req-42"


def test_request_id_is_none_outside_a_request():
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "hello", None, None)
    PiiMaskingFilter().filter(record)
    assert record.request_id is None


def test_a_record_is_masked_once_across_handlers(monkeypatch):
    calls = []
    real_mask = logmask.mask_for_log

    def counting_mask(text):
        calls.append(text)
        return real_mask(text)

    monkeypatch.setattr("apps.privacy.logging.mask_for_log", counting_mask)
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "mail %s", (EMAIL,), None)
    PiiMaskingFilter().filter(record)
    PiiMaskingFilter().filter(record)
    assert calls == [f"mail {EMAIL}"]
    assert record.msg == "mail <EMAIL_ADDRESS>"


# --- the filter never raises -------------------------------------------------------------------


def test_non_string_message_is_masked(text_log):
    text_log.logger.info({"email": EMAIL, "n": 1})
    assert "<EMAIL_ADDRESS>" in text_log.output
    assert_no_leaks(text_log.output)


def test_arguments_that_do_not_fit_the_format_are_dropped(text_log):
    text_log.logger.info("mail %s and %s", EMAIL)
    assert "mail %s and %s <log arguments could not be formatted>" in text_log.output
    assert_no_leaks(text_log.output)


def test_message_whose_str_raises_is_withheld(text_log):
    class Unprintable:
        def __str__(self):
            raise RuntimeError("no")

    text_log.logger.info(Unprintable())
    assert text_log.output.strip() == WITHHELD


def test_failure_inside_masking_withholds_the_text_and_keeps_logging(text_log, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("analyzer exploded")

    logmask.clear_log_cache()
    monkeypatch.setattr(masking, "mask_pii", broken)
    text_log.logger.info("unique message for %s", EMAIL)
    text_log.logger.info("plain words only")
    lines = text_log.output.splitlines()
    assert lines == [WITHHELD, "plain words only"]
    logmask.clear_log_cache()


def test_unformattable_exception_info_is_withheld():
    record = logging.LogRecord("x", logging.ERROR, __file__, 1, "boom", None, None)
    record.exc_info = ("not", "an", "exception")
    assert PiiMaskingFilter().filter(record) is True
    assert record.exc_text == WITHHELD
    assert record.exc_info is None


def test_presidio_chatter_logged_while_masking_is_dropped_not_recursed(json_log):
    # Presidio's logger is on INFO here, so every analysis logs through the same handler.
    presidio_logger = logging.getLogger("presidio-analyzer")
    saved = (presidio_logger.handlers[:], presidio_logger.level, presidio_logger.propagate)
    presidio_logger.handlers = [json_log.handler]
    presidio_logger.setLevel(logging.INFO)
    presidio_logger.propagate = False
    try:
        logmask.clear_log_cache()
        json_log.logger.info("order for %s", EMAIL)
    finally:
        presidio_logger.handlers, level, presidio_logger.propagate = saved
        presidio_logger.setLevel(level)
    records = [json.loads(line) for line in json_log.output.splitlines()]
    assert [r["message"] for r in records] == ["order for <EMAIL_ADDRESS>"]


# --- JSON formatter ----------------------------------------------------------------------------


def test_json_lines_are_parseable_and_carry_the_request_id(json_log):
    with request_id_scope("trace-77"):
        json_log.logger.info("contact %s", EMAIL)
    json_log.logger.warning("second line")
    first, second = (json.loads(line) for line in json_log.output.splitlines())

    assert first["message"] == "contact <EMAIL_ADDRESS>"
    assert first["request_id"] == "trace-77"
    assert first["level"] == "INFO"
    assert first["logger"] == json_log.logger.name
    assert first["time"].endswith("Z")
    assert datetime.fromisoformat(first["time"].replace("Z", "+00:00")).utcoffset().seconds == 0
    assert "exc_info" not in first
    assert second["request_id"] is None
    assert second["level"] == "WARNING"


def test_json_line_includes_masked_exception_on_one_line(json_log):
    try:
        raise KeyError(EMAIL)
    except KeyError:
        json_log.logger.exception("lookup failed")
    lines = json_log.output.splitlines()
    assert len(lines) == 1
    record = json.loads(lines[0])
    assert record["message"] == "lookup failed"
    assert "KeyError: '<EMAIL_ADDRESS>'" in record["exc_info"]
    assert_no_leaks(json_log.output)


def test_json_formatter_keeps_chinese_readable(json_log):
    json_log.logger.info("手机13800138000")
    assert json.loads(json_log.output)["message"] == "手机<PHONE_NUMBER>"


# --- loguru ------------------------------------------------------------------------------------


@pytest.fixture
def routed_loguru():
    from loguru import logger as loguru_logger

    sink_id = route_loguru_to_logging()
    yield loguru_logger
    assert route_loguru_to_logging() == sink_id


def _log_from_module(module_name: str, loguru_logger, level: str, message: str) -> None:
    # loguru names a record after the calling module's __name__, as PyRuSH's would be.
    code = f"logger.log({level!r}, {message!r})"
    exec(
        compile(code, f"{module_name}.py", "exec"),
        {"__name__": module_name, "logger": loguru_logger},
    )


def test_loguru_records_reach_logging_masked(routed_loguru, request):
    module = f"PyRuSH_fake.{request.node.name}"
    capture = Capture(module, logging.Formatter("%(levelname)s %(name)s %(message)s"))
    try:
        _log_from_module(module, routed_loguru, "INFO", f"sentence about {EMAIL}, {PHONE}, {CARD}")
        _log_from_module(module, routed_loguru, "SUCCESS", "done")
    finally:
        capture.close()
    lines = capture.output.splitlines()
    assert lines[0] == (
        f"INFO {module} sentence about <EMAIL_ADDRESS>, <PHONE_NUMBER>, <CREDIT_CARD>"
    )
    assert lines[1] == f"INFO {module} done"
    assert_no_leaks(capture.output)


def test_loguru_debug_follows_the_standard_logger_level(routed_loguru, request):
    module = f"PyRuSH_fake.{request.node.name}"
    capture = Capture(module, logging.Formatter("%(levelname)s %(message)s"))
    capture.logger.setLevel(logging.INFO)
    try:
        _log_from_module(module, routed_loguru, "DEBUG", "per-sentence debug")
        _log_from_module(module, routed_loguru, "WARNING", "kept")
    finally:
        capture.close()
    assert capture.output.splitlines() == ["WARNING kept"]


def test_loguru_exception_is_forwarded_and_masked(routed_loguru, request):
    module = f"PyRuSH_fake.{request.node.name}"
    capture = Capture(module, JsonLogFormatter())
    code = (
        "try:\n"
        f"    raise ValueError({EMAIL!r})\n"
        "except ValueError:\n"
        "    logger.exception('failed')\n"
    )
    try:
        exec(compile(code, "fake.py", "exec"), {"__name__": module, "logger": routed_loguru})
    finally:
        capture.close()
    record = json.loads(capture.output)
    assert record["message"] == "failed"
    assert "ValueError: <EMAIL_ADDRESS>" in record["exc_info"]
    assert_no_leaks(capture.output)


def test_routing_twice_delivers_each_message_once(request):
    from loguru import logger as loguru_logger

    first = route_loguru_to_logging()
    second = route_loguru_to_logging()
    module = f"PyRuSH_fake.{request.node.name}"
    capture = Capture(module, logging.Formatter("%(message)s"))
    try:
        _log_from_module(module, loguru_logger, "INFO", "only once")
    finally:
        capture.close()
    assert first == second
    assert capture.output.splitlines() == ["only once"]


def test_loguru_default_stderr_sink_is_removed(capfd, request):
    from loguru import logger as loguru_logger

    route_loguru_to_logging()
    module = f"PyRuSH_fake.{request.node.name}"
    capture = Capture(module, logging.Formatter("%(message)s"))
    try:
        _log_from_module(module, loguru_logger, "INFO", f"to stderr? {EMAIL}")
    finally:
        capture.close()
    out, err = capfd.readouterr()
    assert EMAIL not in out + err
    assert capture.output.strip() == "to stderr? <EMAIL_ADDRESS>"
