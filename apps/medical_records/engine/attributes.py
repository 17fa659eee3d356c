"""Attributes parsed from the words after an entity: a medication's dose, route and frequency;
a test's value and unit. Plain patterns over a short window of the same sentence."""

from __future__ import annotations

import regex

_NUMBER = r"(?P<value>\d+(?:\.\d+)?)"
_DOSE = regex.compile(
    rf"{_NUMBER}[ \t]*(?P<unit>mg|mcg|µg|ug|g|units?|IU|iu|mL|ml|puffs?|tablets?|tabs?|"
    r"毫克|微克|克|单位|片|粒|毫升|喷)(?![\p{L}])",
)
# route -> (pattern in Latin script, matched as whole words; pattern in Chinese)
_ROUTES = {
    "oral": (r"PO|p\.o\.|by mouth|orally|oral", "口服"),
    "intravenous": (r"IV|i\.v\.|intravenous(?:ly)?", "静脉注射|静滴|静脉滴注|静推|静脉"),
    "intramuscular": (r"IM|i\.m\.|intramuscular(?:ly)?", "肌注|肌内注射"),
    "subcutaneous": (r"SC|SQ|subcut(?:aneous(?:ly)?)?|s\.c\.", "皮下注射|皮下"),
    "sublingual": (r"SL|sublingual(?:ly)?", "舌下含服|舌下"),
    "inhaled": (r"inhaled|inhalation|via inhaler", "吸入"),
    "topical": (r"topical(?:ly)?", "外用"),
}
_ROUTE = regex.compile(
    "|".join(
        rf"(?P<{name}>(?<![\p{{L}}])(?:{latin})(?![\p{{L}}])|{chinese})"
        for name, (latin, chinese) in _ROUTES.items()
    ),
    regex.IGNORECASE,
)
# frequency phrase -> administrations per day (None: as needed or unknown)
_FREQUENCIES = [
    (
        r"q\.?d\.?|once (?:a )?daily|once a day|daily|every day|qam|qhs|at bedtime|nightly|"
        r"in the morning|每日一次|每天一次|一日一次|qd",
        1,
    ),
    (
        r"b\.?i\.?d\.?|twice (?:a )?daily|twice a day|two times (?:a )?day|every 12 hours|q12h|"
        r"每日两次|每日2次|每天两次|一日两次|一日2次|每12小时",
        2,
    ),
    (
        r"t\.?i\.?d\.?|three times (?:a )?daily|three times a day|every 8 hours|q8h|每日三次|"
        r"每日3次|每天三次|一日三次|一日3次|每8小时",
        3,
    ),
    (
        r"q\.?i\.?d\.?|four times (?:a )?daily|four times a day|every 6 hours|q6h|每日四次|"
        r"每日4次|一日四次|每6小时",
        4,
    ),
    (r"every 4 hours|q4h|每4小时", 6),
    (r"weekly|once a week|每周一次", 1 / 7),
    (r"p\.?r\.?n\.?|as needed|when needed|必要时", None),
]
_FREQUENCY = regex.compile(
    "|".join(f"(?P<f{i}>{pattern})" for i, (pattern, _) in enumerate(_FREQUENCIES)),
    regex.IGNORECASE,
)
_MEASURE = regex.compile(
    r"^[\s:：=,，]*(?:(?:of|was|is|at|level|reading|measured|are|were|为|是|达|约)[\s:：]*)*"
    r"(?P<value>\d+(?:\.\d+)?(?:/\d+(?:\.\d+)?)?)[ \t]*"
    r"(?P<unit>%|mg/dL|mg/dl|mmol/L|mmol/l|g/dL|g/dl|g/L|mEq/L|ng/mL|ng/ml|pg/mL|mg/L|U/L|IU/L|"
    r"mIU/L|µIU/mL|uIU/mL|x?10\^?9/L|x?10\^?3/uL|K/uL|/uL|bpm|beats/min|/min|次/分|mmHg|mm Hg|"
    r"°C|℃|°F|C|F)?",
    regex.IGNORECASE,
)
WINDOW = 60


def medication_attributes(text: str, end: int, limit: int) -> dict:
    """Dose, route and frequency written after a medication that ends at ``end``."""
    window = text[end : min(limit, end + WINDOW)]
    attributes: dict = {}
    dose = _DOSE.search(window)
    if dose:
        attributes["dose"] = {"value": float(dose.group("value")), "unit": _unit(dose["unit"])}
    route = _ROUTE.search(window)
    if route:
        attributes["route"] = route.lastgroup
    frequency = _FREQUENCY.search(window)
    if frequency:
        index = int(frequency.lastgroup[1:])
        attributes["frequency"] = frequency.group().strip(" .")
        per_day = _FREQUENCIES[index][1]
        if per_day is not None:
            attributes["per_day"] = per_day
            if dose:
                attributes["daily_dose"] = round(attributes["dose"]["value"] * per_day, 4)
    return attributes


def test_attributes(text: str, end: int, limit: int) -> dict:
    """The value and unit written right after a test name ("HbA1c 8.2%", "血钾 3.1 mmol/L")."""
    window = text[end : min(limit, end + 40)]
    match = _MEASURE.match(window)
    if not match:
        return {}
    raw = match.group("value")
    attributes: dict = {"value_text": raw}
    if "/" in raw:
        systolic, diastolic = raw.split("/", 1)
        attributes["components"] = [float(systolic), float(diastolic)]
    else:
        attributes["value"] = float(raw)
    if match.group("unit"):
        attributes["unit"] = match.group("unit").replace("℃", "°C")
    return attributes


_UNIT_NAMES = {
    "毫克": "mg",
    "微克": "mcg",
    "克": "g",
    "单位": "U",
    "µg": "mcg",
    "ug": "mcg",
    "毫升": "mL",
    "ml": "mL",
    "片": "tablet",
    "粒": "capsule",
    "喷": "puff",
    "units": "U",
    "unit": "U",
    "iu": "IU",
}


def _unit(unit: str) -> str:
    return _UNIT_NAMES.get(unit, _UNIT_NAMES.get(unit.lower(), unit))
