"""Reason phrases a reviewer reads, per input column, in English and Chinese, with the
applicant's value.

Declared in the feature configuration (``reason_phrases``), one entry per column: a template
string (English), or ``{"en": ..., "zh": ...}``. ``{value}`` in a template is replaced by the
applicant's value; a template without it gets the value appended (``"Loan duration: 48"``)::

    "reason_phrases": {
        "duration_in_month": {"en": "a loan duration of {value} months",
                              "zh": "贷款期限为 {value} 个月"},
        "purpose": "Purpose of the loan"}

A column without a phrase in the language asked for falls back to its English phrase, then to
its name made readable (``duration_in_month`` → "Duration in month")."""

from __future__ import annotations

import math
import string

LANGUAGES = ("en", "zh")
DEFAULT_LANGUAGE = "en"
MAX_TEMPLATE = 300
# How a value is appended to a template without ``{value}``, and a missing value, per language.
APPEND = {"en": "{phrase}: {value}", "zh": "{phrase}：{value}"}
MISSING = {"en": "missing", "zh": "缺失"}
OUT_OF_DISTRIBUTION = {
    "en": "{feature} is out of the training data's range: {why} (value {value})",
    "zh": "{feature} 超出训练数据范围：{why}（取值 {value}）",
}


def _template_errors(template) -> list[str]:
    if not isinstance(template, str) or not template.strip():
        return ["Must be a non-empty string."]
    if len(template) > MAX_TEMPLATE:
        return [f"At most {MAX_TEMPLATE} characters."]
    try:
        fields = [name for _, name, _, _ in string.Formatter().parse(template) if name is not None]
    except ValueError as exc:
        return [f"Not a valid template ({exc}); write braces as {{{{ and }}}}."]
    if any(name != "value" for name in fields):
        return ["The only placeholder allowed is {value}."]
    return []


def validate_reason_phrases(raw, columns) -> tuple[dict, dict[str, list[str]]]:
    """The phrases cleaned to ``{column: {language: template}}`` and the errors, keyed by the
    field (``feature_config.reason_phrases.<column>[.<language>]``)."""
    field = "feature_config.reason_phrases"
    if raw is None:
        return {}, {}
    if not isinstance(raw, dict):
        return {}, {field: ["Must be an object: column → phrase or {en, zh}."]}
    cleaned: dict[str, dict[str, str]] = {}
    errors: dict[str, list[str]] = {}
    for column, entry in raw.items():
        where = f"{field}.{column}"
        if column not in columns:
            errors[where] = ["Not a feature column of the dataset's schema."]
            continue
        by_language = {DEFAULT_LANGUAGE: entry} if isinstance(entry, str) else entry
        if not isinstance(by_language, dict) or not by_language:
            errors[where] = ["A phrase (string) or an object {en, zh} of phrases."]
            continue
        unknown = sorted(set(by_language) - set(LANGUAGES))
        if unknown:
            errors[where] = [f"Unknown language(s) {unknown}; allowed: {', '.join(LANGUAGES)}."]
            continue
        for language, template in by_language.items():
            problems = _template_errors(template)
            if problems:
                key = where if isinstance(entry, str) else f"{where}.{language}"
                errors[key] = problems
        cleaned[column] = dict(by_language)
    return cleaned, errors


def _entry(phrases: dict, column: str) -> dict:
    entry = phrases.get(column)
    if isinstance(entry, str):  # versions trained before the languages: English only
        return {DEFAULT_LANGUAGE: entry}
    return entry or {}


def default_label(column: str) -> str:
    return column.replace("_", " ").capitalize()


def label(phrases: dict, column: str) -> str:
    """The English phrase of a column without a value (stored with each reason): its
    template where that has no ``{value}``, else the column's name made readable."""
    template = _entry(phrases, column).get(DEFAULT_LANGUAGE)
    if template and "{value}" not in template:
        return template
    return default_label(column)


def format_value(value, language: str = DEFAULT_LANGUAGE) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return MISSING.get(language, MISSING[DEFAULT_LANGUAGE])
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else f"{value:.6g}"
    return str(value)


def phrase(phrases: dict, column: str, value, language: str = DEFAULT_LANGUAGE) -> str:
    """The reason phrase of ``column`` with the applicant's ``value`` in ``language``."""
    language = language if language in LANGUAGES else DEFAULT_LANGUAGE
    entry = _entry(phrases, column)
    template = entry.get(language) or entry.get(DEFAULT_LANGUAGE) or default_label(column)
    shown = format_value(value, language)
    if "{value}" in template:
        return template.format(value=shown)
    literal = template.replace("{{", "{").replace("}}", "}")
    return APPEND[language].format(phrase=literal, value=shown)


def out_of_distribution_phrase(column: str, why: str, value, language: str) -> str:
    language = language if language in LANGUAGES else DEFAULT_LANGUAGE
    return OUT_OF_DISTRIBUTION[language].format(
        feature=column, why=why, value=format_value(value, language)
    )


def pick_language(accept_language: str, fallback: str = DEFAULT_LANGUAGE) -> str:
    """The first supported language of an ``Accept-Language`` header (``zh-CN``, ``zh-Hant``
    → ``zh``; q-values respected), else ``fallback``."""
    ranked = []
    for position, part in enumerate((accept_language or "").split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        for param in params.split(";"):
            key, _, number = param.strip().partition("=")
            if key == "q":
                try:
                    quality = float(number)
                except ValueError:
                    quality = 0.0
        primary = tag.strip().lower().split("-")[0]
        if primary in LANGUAGES and quality > 0:
            ranked.append((-quality, position, primary))
    return min(ranked)[2] if ranked else fallback
