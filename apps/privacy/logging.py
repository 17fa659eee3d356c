"""Log output without personal data: a masking filter, a JSON formatter and loguru routing.

Django's ``LOGGING`` configuration loads this module before the apps are ready, so it imports no
Django models, and Presidio (slow to import) is imported on the first record that needs it.
Put ``PiiMaskingFilter`` on the handlers, not on loggers: handler filters also see the records
that propagate up from third-party loggers.
"""

from __future__ import annotations

import json
import logging
import threading
from datetime import UTC, datetime

from apps.core.context import get_request_id

# Cheap to import (the standard library and the gazetteer's loader): Presidio and spaCy load
# only when a line may hold personal data (apps.privacy.logmask).
from .logmask import mask_for_log

# Text put in place of a message, exception or field that could not be masked. It never contains
# any of the original text: dropping a log line's content is better than leaking it.
WITHHELD = "<withheld: PII masking failed>"
WITHHELD_REENTRANT = "<withheld: record logged while masking another record>"

_MASKED_MARKER = "_pii_masked"
_STANDARD_ATTRIBUTES = frozenset(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {
    "message",
    "asctime",
    "taskName",
    "request_id",
    _MASKED_MARKER,
}

_masking = threading.local()


def _mask(text: str) -> str:
    try:
        return mask_for_log(text)
    except Exception:
        return WITHHELD


def _message_of(record: logging.LogRecord) -> str:
    try:
        return record.getMessage()
    except Exception:
        # Arguments that don't fit the format string: keep the (masked) template, drop the rest.
        try:
            return f"{record.msg} <log arguments could not be formatted>"
        except Exception:
            return WITHHELD


def _exception_text(record: logging.LogRecord) -> str | None:
    if record.exc_info:
        try:
            return record.exc_text or logging.Formatter().formatException(record.exc_info)
        except Exception:
            return WITHHELD
    return record.exc_text


class PiiMaskingFilter(logging.Filter):
    """Mask personal data in every log record that passes through a handler.

    Masks the formatted message (``record.msg`` becomes the masked text, ``record.args`` None),
    the exception and stack text (stored in ``record.exc_text``/``record.stack_info``;
    ``exc_info`` is cleared so no formatter re-renders the raw traceback) and string ``extra``
    fields. Adds ``record.request_id`` from the request context. Never raises: what cannot be
    masked is replaced by a placeholder. The only records it drops are Presidio's own DEBUG/INFO
    records emitted while it is masking another record.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        """Mask ``record`` in place; returns False only for Presidio chatter during masking."""
        try:
            if not getattr(record, _MASKED_MARKER, False):
                if getattr(_masking, "active", False):
                    # Presidio logs through the standard logging module too (INFO chatter on
                    # every analysis unless its logger is set higher); masking those records from
                    # inside a masking call would recurse. Chatter is dropped, warnings kept
                    # without their text.
                    if record.levelno < logging.WARNING:
                        return False
                    _withhold(record, WITHHELD_REENTRANT)
                else:
                    _masking.active = True
                    try:
                        _mask_record(record)
                    finally:
                        _masking.active = False
                setattr(record, _MASKED_MARKER, True)
        except Exception:
            _withhold(record, WITHHELD)
        try:
            if getattr(record, "request_id", None) is None:
                # django.request logs 4xx/5xx after the middleware has left the request's
                # context, but hands the request itself over in ``extra``.
                request = getattr(record, "request", None)
                record.request_id = get_request_id() or getattr(request, "request_id", None)
        except Exception:
            record.request_id = None
        return True


def _mask_record(record: logging.LogRecord) -> None:
    record.msg = _mask(_message_of(record))
    record.args = None
    if "message" in vars(record):
        # Left by a formatter that ran before this filter (a handler without it, earlier).
        record.message = record.msg
    exc_text = _exception_text(record)
    record.exc_info = None
    record.exc_text = _mask(exc_text) if exc_text else None
    if record.stack_info:
        record.stack_info = _mask(record.stack_info)
    for key, value in list(vars(record).items()):
        if key not in _STANDARD_ATTRIBUTES and isinstance(value, str):
            setattr(record, key, _mask(value))


def _withhold(record: logging.LogRecord, placeholder: str) -> None:
    record.msg = placeholder
    record.args = None
    record.exc_info = None
    record.exc_text = None
    record.stack_info = None
    try:
        for key, value in list(vars(record).items()):
            if key not in _STANDARD_ATTRIBUTES and isinstance(value, str):
                setattr(record, key, placeholder)
    except Exception:
        pass
    try:
        setattr(record, _MASKED_MARKER, True)
    except Exception:
        pass


class JsonLogFormatter(logging.Formatter):
    """One JSON object per line: ``time`` (ISO-8601, UTC), ``level``, ``logger``, ``message``,
    ``request_id`` and, when there is one, ``exc_info`` (the traceback text).

    It formats what it is given; ``PiiMaskingFilter`` on the same handler does the masking.
    """

    def format(self, record: logging.LogRecord) -> str:
        """Serialise ``record`` as a single line of JSON."""
        created = datetime.fromtimestamp(record.created, tz=UTC)
        request_id = getattr(record, "request_id", None)
        payload = {
            "time": created.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "level": record.levelname,
            "logger": record.name,
            "message": _message_of(record),
            "request_id": request_id if request_id is not None else get_request_id(),
        }
        exc_text = _exception_text(record)
        if exc_text:
            payload["exc_info"] = exc_text
        if record.stack_info:
            payload["stack_info"] = record.stack_info
        # ensure_ascii=False keeps Chinese text readable; json escapes newlines, so a traceback
        # stays on the record's one line.
        return json.dumps(payload, ensure_ascii=False, default=str)


# --- loguru ------------------------------------------------------------------------------------

# loguru levels without a standard-logging twin: TRACE is reported as DEBUG, SUCCESS as INFO.
_LOGURU_LEVELS = {
    "TRACE": logging.DEBUG,
    "DEBUG": logging.DEBUG,
    "INFO": logging.INFO,
    "SUCCESS": logging.INFO,
    "WARNING": logging.WARNING,
    "ERROR": logging.ERROR,
    "CRITICAL": logging.CRITICAL,
}

_loguru_lock = threading.Lock()
_loguru_sink_id: int | None = None


def _std_level(loguru_record: dict) -> int:
    level = loguru_record["level"]
    return _LOGURU_LEVELS.get(level.name, level.no)


def _std_logger(loguru_record: dict) -> logging.Logger:
    return logging.getLogger(loguru_record["name"] or "loguru")


def _enabled_in_logging(loguru_record: dict) -> bool:
    # Checked before loguru formats the message: PyRuSH logs DEBUG on every sentence, and that
    # should cost next to nothing when the standard logger is at INFO.
    try:
        return _std_logger(loguru_record).isEnabledFor(_std_level(loguru_record))
    except Exception:
        return False


def _forward_to_logging(message) -> None:
    try:
        record = message.record
        std_logger = _std_logger(record)
        exception = record["exception"]
        exc_info = (exception.type, exception.value, exception.traceback) if exception else None
        std_record = std_logger.makeRecord(
            std_logger.name,
            _std_level(record),
            record["file"].path,
            record["line"],
            record["message"],
            None,
            exc_info,
            func=record["function"],
        )
        std_record.created = record["time"].timestamp()
        std_logger.handle(std_record)
    except Exception:
        # loguru would print the failing record, unmasked, to stderr: swallow instead.
        pass


def route_loguru_to_logging() -> int:
    """Send loguru's records (PyRuSH and other loguru users) to the standard ``logging`` module.

    Removes loguru's default stderr sink and adds one that re-emits each message on the standard
    logger named after the loguru record's module, at the matching level, so the handlers' masking
    filter and formatter apply. Idempotent: returns the same sink id on every call.
    """
    global _loguru_sink_id
    from loguru import logger as loguru_logger

    with _loguru_lock:
        if _loguru_sink_id is None:
            try:
                loguru_logger.remove(0)
            except ValueError:
                pass  # already removed, or loguru was started without its default sink
            _loguru_sink_id = loguru_logger.add(
                _forward_to_logging, level=0, format="{message}", filter=_enabled_in_logging
            )
        return _loguru_sink_id
