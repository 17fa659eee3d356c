"""De-identification of one note: detect, then replace.

Detection: ``apps.privacy``'s offline Presidio analyzer with the health recognizers of
``recognizers.py``; names from the note's own header fields ("Patient: ...", "Name: ...",
"姓名：...") wherever they recur, whole or in part; dates (parsed, so they can be shifted).

Replacement: names, identifiers, phone and fax numbers, e-mail, street and IP addresses become
consistent pseudonym tokens (``pseudonym(kind, value)`` decides them); dates move by the
patient's offset in days, written in their original format; ages over 89 become
``[AGE-OVER-89]``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import regex

from apps.privacy.engine import build_analyzer
from apps.privacy.gazetteer import get_gazetteer
from apps.privacy.masking import Finding, analyze_results
from apps.privacy.statistical import statistical_recognizers

from . import lookalikes, zh_lookalikes
from .deid_dates import DateMatch, find_dates, shift_date
from .ontology import is_chinese
from .recognizers import CodeShapedIdentifierRecognizer, health_recognizers

CODE_SHAPED = CodeShapedIdentifierRecognizer.__name__

# Presidio entity type -> de-identification kind
KINDS = {
    "PERSON": "NAME",
    "PHONE_NUMBER": "PHONE",
    "EMAIL_ADDRESS": "EMAIL",
    "STREET_ADDRESS": "ADDRESS",
    "IP_ADDRESS": "IP",
    "AGE_OVER_89": "AGE",
    "LOCATION": "LOCATION",
    "ORGANIZATION": "ORGANIZATION",
}
# Higher wins where detections overlap; then the longer span.
PRIORITY = {
    "HEADER_NAME": 9,
    "EMAIL_ADDRESS": 10,
    "ID": 8,
    "EMAIL": 7,
    "DATE": 6,
    "PHONE": 5,
    "AGE": 5,
    "IP": 5,
    "ADDRESS": 4,
    "NAME": 3,
    "LOCATION": 2,
    "ORGANIZATION": 2,
    # A number recognised by its shape alone (recognizers.CodeShapedIdentifierRecognizer) yields
    # to anything else found there: "(617) 555-0142" stays a telephone number.
    "CODE_SHAPED_ID": 1,
}
PSEUDONYM_KINDS = ("NAME", "ID", "PHONE", "EMAIL", "ADDRESS", "IP", "LOCATION", "ORGANIZATION")
# HIPAA Safe Harbor aggregates ages over 89 into one category; written without digits so that
# no part of the real age (a 90 inside "90+") is left in the text.
AGE_TOKEN = "[AGE-OVER-89]"

# ------------------------------------------------------------------ header fields
_NAME_VALUE = r"(?P<name>[\p{Lu}][\p{L}'\-.]*(?:[ \t]+[\p{Lu}][\p{L}'\-.]*){0,3})"
_HEADER_NAME = regex.compile(
    r"(?im:^[ \t]*(?:patient(?:[ \t]+name)?|pt(?:[ \t]+name)?|name|full[ \t]+name|"
    r"attending(?:[ \t]+physician)?|physician|provider|pcp|primary[ \t]+care(?:[ \t]+physician)?|"
    r"referring(?:[ \t]+(?:physician|provider))?|ordering(?:[ \t]+provider)?|author|"
    r"signed(?:[ \t]+by)?|dictated[ \t]+by|resident|nurse|rn|emergency[ \t]+contact|"
    r"next[ \t]+of[ \t]+kin|guardian|spouse|contact|surgeon|consultant|cc)"
    r"[ \t]*[:：][ \t]*(?:(?:Dr|Mr|Mrs|Ms|Miss|Prof)\.?[ \t]+)?)" + _NAME_VALUE
)
_ZH_HEADER_NAME = regex.compile(
    r"(?m:(?:姓名|患者姓名|患者|病人|联系人|家属|主治医师|主治医生|经治医师|医师签名|记录者|签名)"
    r"[ \t]*[:：][ \t]*)(?P<name>\p{Han}{2,4}?)(?=[ \t，,。；;（(\n]|$|男|女)"
)
_HEADER_MRN = regex.compile(
    r"(?i:\b(?:MRN|medical[ \t]+record[ \t]+(?:number|no\.?|#)|patient[ \t]+id))[ \t]*[:#]?"
    r"[ \t]*(?P<mrn>[A-Za-z0-9\-]{4,20})"
    r"|(?:病历号|病案号|住院号|门诊号|病案号码|病历编号|病案编号|住院编号|门诊编号)"
    r"[ \t]*[:：]?[ \t]*"
    r"(?P<zh>[A-Za-z0-9\-]{4,20})"
)
_NOT_NAMES = {"Unknown", "None", "N/A", "Self", "Patient", "Same"}
_TRAILING = regex.compile(r"[ \t]+(?:MRN|DOB|Age|Sex|ID|M|F)$")


def header_names(text: str) -> list[str]:
    """Names written in the note's own header fields ("Patient: Margaret Oyelaran")."""
    names = []
    for match in _HEADER_NAME.finditer(text):
        name = _TRAILING.sub("", match.group("name").strip(" .,"))
        if name and name not in _NOT_NAMES and len(name) > 1:
            names.append(name)
    for match in _ZH_HEADER_NAME.finditer(text):
        names.append(match.group("name"))
    return list(dict.fromkeys(names))


def header_mrn(text: str) -> str:
    match = _HEADER_MRN.search(text)
    if not match:
        return ""
    return match.group("mrn") or match.group("zh") or ""


# ------------------------------------------------------------------ analysis
_analyzer = None
_analyzer_lock = threading.Lock()


def medical_analyzer():
    """``apps.privacy``'s offline analyzer plus the health recognizers, built once."""
    global _analyzer
    if _analyzer is None:
        with _analyzer_lock:
            if _analyzer is None:
                # Recall first: any name, place or organisation either English model reports
                # (the general analyzer wants both to agree); LAC is in the default set.
                extra = [
                    *health_recognizers("en"),
                    *health_recognizers("zh"),
                    *statistical_recognizers("en", recall_first=True),
                ]
                _analyzer = build_analyzer(extra)
    return _analyzer


@dataclass
class Span:
    kind: str
    start: int
    end: int
    source: str
    priority: int
    date: DateMatch | None = None


@dataclass
class Deidentified:
    """A de-identified text and what was replaced (kinds and offsets, never the values)."""

    text: str
    replacements: list[dict] = field(default_factory=list)
    names: list[str] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for item in self.replacements:
            out[item["kind"]] = out.get(item["kind"], 0) + 1
        return out


def _name_variants(names: Iterable[str]) -> dict[str, str]:
    """Each header name, its all-caps form and its parts (three letters or more) -> the full
    name, so "Ms. Oyelaran" gets the same pseudonym as "Margaret Oyelaran"."""
    variants: dict[str, str] = {}
    for name in names:
        variants.setdefault(name, name)
        if is_chinese(name):
            if len(name) >= 2:
                variants.setdefault(name, name)
            continue
        for part in regex.split(r"[ \t]+", name):
            part = part.strip(".,")
            if len(part) >= 3 and part[0].isupper():
                variants.setdefault(part, name)
    return variants


_WORD_BEFORE = regex.compile(r"(?P<word>\p{Lu}\p{Ll}+)[ \t]+$")


def _with_first_name(text: str, start: int) -> int:
    """Where a name starts when a census first name precedes a known surname ("her daughter
    Linda Oyelaran": the header gave only "Margaret Oyelaran")."""
    match = _WORD_BEFORE.search(text, max(0, start - 30), start)
    if match and get_gazetteer().is_first_name(match.group("word")):
        return match.start("word")
    return start


def detect(text: str, *, language: str | None = None, names: Iterable[str] = ()) -> list[Span]:
    """Every identifier in ``text``, overlaps resolved (priority, then length): recall first,
    model look-alikes (drugs, eponyms) dropped, every name masked at all its occurrences."""
    language = language or ("zh" if is_chinese(text) else "en")
    languages = [language] + (["zh"] if language == "en" and _HAN.search(text) else [])
    candidates: list[Span] = []
    rejected: set[tuple[int, int]] = set()
    for lang in languages:
        for finding, source in _findings(text, lang):
            kind = KINDS.get(finding.entity_type, "ID")
            if kind == "ID" and finding.entity_type in ("URL", "DATE_TIME"):
                continue
            if source == CODE_SHAPED and not CodeShapedIdentifierRecognizer.stands_as_identifier(
                text, finding.start, finding.end
            ):
                continue
            start, end = finding.start, finding.end
            if kind in ("NAME", "LOCATION", "ORGANIZATION"):
                start, end = _trim(text, start, end)
                if start >= end:
                    continue
                # A lowercase "place" is a model reading an ordinary word ("at bedside");
                # lowercase names stay (recall first: "marta (daughter)").
                if kind != "NAME" and lang == "en" and text[start:end].islower():
                    continue
                if (
                    source in lookalikes.NAME_LIST_SOURCES or source not in lookalikes.CUE_SOURCES
                ) and lookalikes.is_named_condition(text, start, end):
                    rejected.add((start, end))
                    continue
                # The Chinese cues take a surname character and what follows: "患者高血压10年"
                # gave "高血压", "患者黄疸3天" "黄疸" (found on the fourth development set).
                if source == "ChineseNameRecognizer" and zh_lookalikes.is_chinese_lookalike(
                    text, start, end
                ):
                    continue
                if source not in lookalikes.CUE_SOURCES:
                    start, end = lookalikes.whole_words(text, start, end)
                    if zh_lookalikes.is_chinese_lookalike(text, start, end):
                        continue
                    if lookalikes.is_lookalike(text, text[start:end], end):
                        continue
                    if lookalikes.is_ordinary_lowercase(text[start:end]):
                        continue
                    trimmed = lookalikes.trim_medical(text, start, end)
                    if trimmed[0] >= trimmed[1]:
                        # The other model's reading of the same words goes too ("Takes" of
                        # "Takes Crestor").
                        rejected.add((start, end))
                        continue
                    start, end = trimmed
            priority = (
                PRIORITY["CODE_SHAPED_ID"]
                if source == CODE_SHAPED
                else PRIORITY.get(finding.entity_type, PRIORITY[kind])
            )
            candidates.append(Span(kind, start, end, source, priority))
    candidates = [
        c
        for c in candidates
        if c.source in lookalikes.CUE_SOURCES
        or not any(s <= c.start and c.end <= e for s, e in rejected)
    ]
    detected = [text[c.start : c.end] for c in candidates if c.kind == "NAME"]
    variants = _name_variants([*header_names(text), *names])
    chinese = language == "zh"
    # A header's name outranks everything; a name a model found once outranks other names but
    # not a longer address it sits in ("42 Willow Creek Road"). Two passes, so that a model's
    # longer reading ("Goldberg denies") never hides the header's "Goldberg".
    header_variants = lookalikes.name_variants(variants, chinese=chinese)
    for names_found, priority in (
        (header_variants, PRIORITY["HEADER_NAME"]),
        (lookalikes.name_variants(detected, chinese=chinese), PRIORITY["NAME"]),
    ):
        pattern = lookalikes.propagation_pattern(names_found, chinese=chinese)
        if pattern is None:
            continue
        for match in pattern.finditer(text):
            start = _with_first_name(text, match.start())
            candidates.append(Span("NAME", start, match.end(), "propagated name", priority))
    for date in find_dates(text):
        candidates.append(
            Span("DATE", date.start, date.end, f"date {date.style}", PRIORITY["DATE"], date)
        )
    chosen: list[Span] = []
    for span in sorted(candidates, key=lambda s: (-s.priority, -(s.end - s.start), s.start)):
        if all(span.end <= other.start or span.start >= other.end for other in chosen):
            chosen.append(span)
    if _HAN.search(text):
        chosen = lookalikes.merge_chinese_addresses(
            text,
            chosen,
            lambda kind, start, end: Span(kind, start, end, "address", PRIORITY["ADDRESS"]),
        )
    return sorted(chosen, key=lambda s: s.start)


_HAN = regex.compile(r"\p{Han}")
# Words a model sometimes takes into a name span: "Pt Zhang Wei", "Patient Marcus".
_LEADING_CUE = regex.compile(
    r"^(?i:(?:pt|patient|mr|mrs|ms|dr|husband|wife|son|daughter|mother|father|brother|sister|"
    r"uncle|aunt|cousin|friend|nephew|niece|the|and)\.?[ \t]+)+"
)


_FIELD_BREAK = regex.compile(r"\n|[ \t]{2,}|\t")


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    # A model span never runs across a line or a column gap ("Margaret Oyelaran   MRN").
    gap = _FIELD_BREAK.search(text, start, end)
    if gap:
        end = gap.start()
    value = text[start:end]
    cue = _LEADING_CUE.match(value)
    if cue:
        start += cue.end()
    value = text[start:end]
    stripped = value.rstrip(" \t.,;:)")
    end = start + len(stripped)
    # "Goldberg denies": a capitalised name followed by ordinary lowercase words.
    words = list(regex.finditer(r"\S+", text[start:end]))
    while len(words) > 1 and lookalikes.is_ordinary_lowercase(words[-1].group()):
        words.pop()
        end = start + words[-1].end()
    return start, end


def _findings(text: str, language: str):
    """Findings with the name of the recognizer that made them (``apps.privacy``'s analysis,
    with its Chinese-text and URL-encoding pass)."""
    for result in analyze_results(medical_analyzer(), text, language):
        source = (result.recognition_metadata or {}).get("recognizer_name", "")
        finding = Finding(result.entity_type, result.start, result.end, result.score)
        yield finding, source


def deidentify(
    text: str,
    *,
    pseudonym: Callable[[str, str], str],
    date_offset_days: int,
    language: str | None = None,
    names: Iterable[str] = (),
) -> Deidentified:
    """``text`` with every identifier replaced (see the module docstring)."""
    spans = detect(text, language=language, names=names)
    variants = _name_variants([*header_names(text), *names])
    folded = {k.casefold(): v for k, v in variants.items()}
    pieces, replacements, position = [], [], 0
    for span in spans:
        original = text[span.start : span.end]
        if span.kind == "DATE":
            replacement = shift_date(span.date, text, date_offset_days)
            if replacement is None:
                continue
        elif span.kind == "AGE":
            replacement = AGE_TOKEN
        else:
            value = folded.get(original.casefold(), original) if span.kind == "NAME" else original
            replacement = pseudonym(span.kind, value)
        pieces.append(text[position : span.start])
        pieces.append(replacement)
        position = span.end
        replacements.append(
            {"kind": span.kind, "start": span.start, "end": span.end, "source": span.source}
        )
    pieces.append(text[position:])
    return Deidentified("".join(pieces), replacements, list(dict.fromkeys(variants.values())))
