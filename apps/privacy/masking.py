"""Detecting and masking personal data in text.

``detect_pii`` reports where personal identifiers are (never what they are, so findings can be
logged); ``mask_pii`` replaces each with ``<ENTITY_TYPE>``; ``mask_findings`` applies findings
with other operators (pseudonyms, hashes). The logging filter goes through ``apps.privacy.logmask``
first, which skips Presidio for text that cannot hold an identifier.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import regex
from presidio_analyzer import AnalyzerEngine, EntityRecognizer, RecognizerResult
from presidio_anonymizer.entities import ConflictResolutionStrategy, OperatorConfig

from apps.privacy.engine import get_analyzer, get_anonymizer


@dataclass(frozen=True, slots=True)
class Finding:
    """One detected identifier: its type, its span in the text and Presidio's confidence.

    The matched text is deliberately not kept, so a finding can be logged or stored as is.
    """

    entity_type: str
    start: int
    end: int
    score: float


# Two things hide identifiers from Presidio's patterns, and both can be undone without moving a
# character, so offsets found in the copy fit the original:
# - CJK characters count as word characters, so ``\b``-anchored patterns miss an e-mail or card
#   number written straight after Chinese text ("卡号4111..."); they become spaces.
# - URL query strings encode spaces as "+" ("card+4111+1111+1111+1111"); those become spaces.
_CJK = regex.compile(r"[\p{Han}\u3000-\u303f\uff01-\uff0f\uff1a-\uff20\uff3b-\uff40\uff5b-\uff65]+")
# A "+" inside an e-mail's local part ("first.last+tag@example.com") is part of the address.
_PLUS_AS_SPACE = regex.compile(r"(?<=[0-9A-Za-z%])\+(?=[0-9A-Za-z%])(?![\w.%+\-]*(?:@|%40))")


# A machine timestamp ("2026-12-06 19:45:01.571234+00:00", ISO 8601 with a time) is not a phone
# number, though its seconds, fraction and offset ("01.571234+00") look like one to the phone
# recognizer; phone findings wholly inside one are dropped. Log lines carry such stamps often.
_TIMESTAMP = regex.compile(
    r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?(?:Z|[+-]\d{2}(?::?\d{2})?)?"
)
_NUMBERS_THAT_TIMESTAMPS_RESEMBLE = frozenset({"PHONE_NUMBER"})


def _inside_a_timestamp(text: str, findings: set[Finding]) -> set[Finding]:
    candidates = {f for f in findings if f.entity_type in _NUMBERS_THAT_TIMESTAMPS_RESEMBLE}
    if not candidates:
        return set()
    stamps = [match.span() for match in _TIMESTAMP.finditer(text)]
    return {f for f in candidates if any(s <= f.start and f.end <= e for s, e in stamps)}


def _normalized_copy(text: str) -> str | None:
    copy = _CJK.sub(lambda match: " " * len(match.group()), text)
    copy = _PLUS_AS_SPACE.sub(" ", copy)
    return copy if copy != text else None


def _analyze(
    analyzer: AnalyzerEngine, text: str, language: str, entities: Sequence[str] | None
) -> list[RecognizerResult]:
    entity_list = list(entities) if entities else None
    results = analyzer.analyze(text=text, language=language, entities=entity_list)
    copy = _normalized_copy(text)
    if copy is None:
        return results
    copy_results = analyzer.analyze(text=copy, language=language, entities=entity_list)
    # Where both passes found the same kind of thing, the copy has the tighter span
    # ("test@example.com", not "邮箱test@example.com"); the original still contributes what
    # needs the Chinese characters (addresses, and whatever an extra recognizer looks for).
    from_original = [
        result
        for result in results
        if not any(
            other.entity_type == result.entity_type
            and other.start < result.end
            and result.start < other.end
            for other in copy_results
        )
    ]
    return EntityRecognizer.remove_duplicates(copy_results + from_original)


def analyze_results(
    analyzer: AnalyzerEngine, text: str, language: str = "en"
) -> list[RecognizerResult]:
    """Presidio's results (with the recognizer's name in ``recognition_metadata``) for callers
    that weigh detections by where they came from, such as clinical de-identification."""
    return _analyze(analyzer, text, language, None) if text else []


def detect_pii(
    text: str,
    *,
    language: str = "en",
    entities: Sequence[str] | None = None,
    analyzer: AnalyzerEngine | None = None,
) -> list[Finding]:
    """Find personal identifiers in ``text``, ordered by position.

    ``entities`` limits the search to some entity types (``"EMAIL_ADDRESS"``, ``"PERSON"``...);
    ``analyzer`` is one from ``build_analyzer`` with extra recognizers, else the default. Spans
    may overlap when two recognizers claim the same characters; ``mask_pii`` resolves that.
    """
    if not text:
        return []
    results = _analyze(analyzer or get_analyzer(), text, language, entities)
    findings = {Finding(r.entity_type, r.start, r.end, round(r.score, 4)) for r in results}
    findings -= _inside_a_timestamp(text, findings)
    return sorted(findings, key=lambda f: (f.start, f.end, f.entity_type))


def mask_findings(
    text: str,
    findings: Iterable[Finding],
    *,
    operators: Mapping[str, OperatorConfig] | None = None,
) -> str:
    """Replace each finding in ``text`` with ``<ENTITY_TYPE>``, or as ``operators`` say.

    ``operators`` maps an entity type (or ``"DEFAULT"``) to a presidio-anonymizer
    ``OperatorConfig``: "replace", "redact", "hash", "mask" or "custom" (a function, which is how
    pseudonyms plug in). Overlapping findings are trimmed so that together they still cover every
    flagged character: masking must never leave part of an identifier behind.
    """
    results = [RecognizerResult(f.entity_type, f.start, f.end, f.score) for f in findings]
    if not results:
        return text
    engine_result = get_anonymizer().anonymize(
        text=text,
        analyzer_results=results,
        operators=dict(operators) if operators else None,
        conflict_resolution=ConflictResolutionStrategy.REMOVE_INTERSECTIONS,
    )
    return engine_result.text


def mask_pii(
    text: str,
    *,
    language: str = "en",
    entities: Sequence[str] | None = None,
    analyzer: AnalyzerEngine | None = None,
    operators: Mapping[str, OperatorConfig] | None = None,
) -> str:
    """Return ``text`` with every personal identifier replaced by ``<ENTITY_TYPE>``.

    For example "mail jane@example.com" becomes "mail <EMAIL_ADDRESS>". The keyword arguments are
    those of ``detect_pii`` and ``mask_findings``.
    """
    if not text:
        return text
    findings = detect_pii(text, language=language, entities=entities, analyzer=analyzer)
    return mask_findings(text, findings, operators=operators)
