"""The logging filter's path to masking: cheap for the many log lines that hold nothing personal.

A pre-check skips text which cannot hold anything the recognizers look for, long messages are cut,
and short ones are cached. Presidio and spaCy (seconds to import: they pull in PyTorch) are
imported only when a message passes the pre-check, so a process that logs plain lines never
loads them.
"""

from __future__ import annotations

import functools
import re

from apps.privacy.gazetteer import get_gazetteer

# Anything the default recognizers can find has one of these, so text with none of them is
# returned without running Presidio: an "@" (or "%40"); five or more digits close together
# (phones, cards, IBANs, national and account numbers); a letters-and-digits token (fiscal codes,
# passport and PAN numbers, crypto wallets); an IP address; a house number before a capitalised
# word; a title; a naming phrase; Chinese text; or a census first name in any case (checked
# separately, by set lookup). tests/test_precheck.py checks that every positive example of the
# tests passes it.
_MAY_CONTAIN_PII = re.compile(
    r"@|%40"
    r"|\d(?:[ \t\-.()/+:]{0,3}\d){4,}"
    r"|(?<![A-Za-z0-9])(?=[A-Za-z0-9]{8})[A-Za-z]*\d[A-Za-z]*\d"
    r"|\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}"
    r"|[0-9A-Fa-f]{0,4}::?[0-9A-Fa-f]{0,4}:|::"
    r"|\d[\dA-Za-z/\-]*,?[ \t]+(?:\d{1,3}(?:st|nd|rd|th)[ \t]+)?[A-ZÀ-ÖØ-Þ]"
    r"|\d[ \t]*[号號]"
    r"|(?<![A-Za-z])(?:Mr|Mrs|Ms|Mx|Dr|Prof|Miss|Sir|Dame|Mme|Mlle)(?![A-Za-z])"
    r"|(?i:(?<![a-z])(?:name|i'?m|i[ \t]+am|called|named)(?![a-z]))"
)
# Letter look-arounds rather than \b: in "联系人John" there is no word boundary before "John".
# Any case: the statistical name models find "marta lopez" as well as "Marta Lopez", so the
# pre-check must let lowercase names through too.
_NAME_SHAPED_WORD = re.compile(
    r"(?<![A-Za-z])[A-Za-z][a-z]+(?![A-Za-z])|(?<![A-Z])[A-Z]{3,}(?![A-Z])"
)
# LAC finds Chinese names without cues, so any run of two Han characters may hold one.
_HAN_RUN = re.compile(r"[\u4e00-\u9fff]{2,}")
# Canonical UUIDs in a URL path (the platform's public ids, in nearly every request line: "GET
# /api/v1/risk/decisions/<uuid>/ -> 200") are blanked for the pre-check only: their hex groups
# look like the letters-and-digits tokens above and sent every such line through Presidio (about
# 25 ms a line here). Only between slashes (or before ?, # or the end): a UUID after a cue
# ("Patient ID: <uuid>", "account no: <uuid>") may be a record number the recognizers mask, and
# still reaches them. A line that passes the pre-check for another reason is analysed whole.
_UUID = re.compile(
    r"(?<=/)[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
    r"(?=[/?#\s]|$)"
)
# Machine timestamps to the second ("2026-12-07 04:21:52.685418+00:00", django-axes logs one on
# every sign-in) are blanked the same way: their digit runs look like a phone number, and the
# time of day makes each line unique, so the cache never helped. A bare date (a birth date) is
# not blanked.
_TIMESTAMP = re.compile(
    r"(?<!\d)\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}(?:[.,]\d{1,9})?(?:Z|[+-]\d{2}:?\d{2})?(?!\d)"
)

# Longer messages are cut before analysis: Presidio's cost grows with the text, and one huge
# payload dumped into a log line must not stall the request that logs it.
MAX_LOG_TEXT_CHARS = 20_000
LOG_CACHE_SIZE = 2048
_CACHEABLE_CHARS = 1_000


def may_contain_pii(text: str) -> bool:
    """A fast, conservative test: False only when no recognizer could match in ``text``."""
    if "-" in text:
        text = _TIMESTAMP.sub(" ", _UUID.sub("-", text))
    if _MAY_CONTAIN_PII.search(text):
        return True
    if _HAN_RUN.search(text):
        return True
    gazetteer = get_gazetteer()
    return any(gazetteer.is_first_name(word.group()) for word in _NAME_SHAPED_WORD.finditer(text))


def _mask_for_log_uncached(text: str) -> str:
    if len(text) > MAX_LOG_TEXT_CHARS:
        text = f"{text[:MAX_LOG_TEXT_CHARS]} <truncated {len(text) - MAX_LOG_TEXT_CHARS} chars>"
    if not may_contain_pii(text):
        return text
    from apps.privacy import masking

    if not _HAN_RUN.search(text):
        return masking.mask_pii(text)
    # Chinese (or mixed) text: the Chinese detectors (LAC, the Chinese patterns) and the English
    # ones both look, and every finding is masked.
    findings = [
        *masking.detect_pii(text, language="en"),
        *masking.detect_pii(text, language="zh"),
    ]
    return masking.mask_findings(text, findings)


_mask_for_log_cached = functools.lru_cache(maxsize=LOG_CACHE_SIZE)(_mask_for_log_uncached)


def mask_for_log(text: str) -> str:
    """``mask_pii`` for log messages: pre-checked, length-capped, and cached for short texts.

    The cache holds up to LOG_CACHE_SIZE recent short messages in process memory (personal data
    included, as the log records themselves briefly do); it never reaches any output.
    """
    if len(text) <= _CACHEABLE_CHARS:
        return _mask_for_log_cached(text)
    return _mask_for_log_uncached(text)


def clear_log_cache() -> None:
    """Forget cached log masks (for tests, or after changing recognizers)."""
    _mask_for_log_cached.cache_clear()
