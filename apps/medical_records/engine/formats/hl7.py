"""HL7 v2 in and out, through hl7apy (version 2.5).

In: ORU^R01 and MDM^T02, the note text in OBX-5 (TX, FT, ST or ED values). Parse and validation
errors are reported by segment and field (``{"MSH.9": ["..."], "OBX[2].5": ["..."]}``).

Out: an ORU^R01 with the structured results: PID holds the patient's pseudonym, one OBR for the
note, one OBX per entity (OBX-3 the concept's code in its coding system: I10C for ICD-10-CM, LN
for LOINC, WC for ATC, SCT for SNOMED CT; OBX-5 the assertion, or the test's value; OBX-6 the
unit), built and validated with hl7apy.
"""

from __future__ import annotations

import regex
from hl7apy import exceptions as hl7_errors
from hl7apy.core import Message
from hl7apy.parser import parse_message

SUPPORTED = {("ORU", "R01"), ("MDM", "T02")}
_CHILD = regex.compile(
    r"(?:child|Child)\s+(?P<seg>[A-Z][A-Z0-9]{2})(?:\.(?P=seg)?_?(?P<field>\d+))?"
)
_FIELD = regex.compile(r"(?P<seg>[A-Z][A-Z0-9]{2})[._](?:(?P=seg)_)?(?P<field>\d+)")


class Hl7InputError(ValueError):
    """An HL7 v2 message that cannot be used; ``errors`` maps segment.field to messages."""

    def __init__(self, errors: dict[str, list[str]]):
        super().__init__("; ".join(f"{k}: {v[0]}" for k, v in errors.items()))
        self.errors = errors


def _location(message: str, default: str) -> str:
    match = _CHILD.search(message) or _FIELD.search(message)
    if not match:
        return default
    return f"{match['seg']}.{match['field']}" if match["field"] else match["seg"]


def _normalise(text: str) -> str:
    lines = [line.strip() for line in regex.split(r"\r\n|\n|\r", text.strip()) if line.strip()]
    return "\r".join(lines)


def _segments(text: str) -> list[str]:
    return [s for s in _normalise(text).split("\r") if s]


def _precheck(segments: list[str]) -> None:
    """Errors hl7apy reports badly (or not at all), by segment and field."""
    errors: dict[str, list[str]] = {}
    if not segments or not segments[0].startswith("MSH"):
        raise Hl7InputError({"MSH": ["The message must start with an MSH segment."]})
    msh = segments[0]
    if len(msh) < 8:
        raise Hl7InputError({"MSH.1": ["The field separator and encoding characters are missing."]})
    sep = msh[3]
    fields = msh.split(sep)
    message_type = fields[8] if len(fields) > 8 else ""
    if not message_type:
        errors["MSH.9"] = ["The message type (e.g. ORU^R01) is required."]
    else:
        parts = message_type.split(msh[4])
        if tuple(parts[:2]) not in SUPPORTED:
            errors["MSH.9"] = [
                f"Unsupported message type {message_type!r}: send ORU^R01 or MDM^T02."
            ]
    if len(fields) <= 11 or not fields[11]:
        errors["MSH.12"] = ["The version id is required (2.5 is read)."]
    for number, segment in enumerate(segments, start=1):
        name = segment[:3]
        if not regex.fullmatch(r"[A-Z][A-Z0-9]{2}", name) or (
            len(segment) > 3 and segment[3] != sep
        ):
            errors.setdefault(f"segment {number}", []).append(
                # The segment's content is never echoed: it may hold patient data.
                f"Segment {number} does not start with a segment name (three capitals then "
                f"'{sep}')."
            )
    obx = [s for s in segments if s.startswith("OBX")]
    if not obx:
        errors["OBX"] = ["No OBX segment: the note text is read from OBX-5."]
    for index, segment in enumerate(obx, start=1):
        values = segment.split(sep)
        if len(values) <= 5 or not values[5].strip():
            errors[f"OBX[{index}].5"] = ["OBX-5 (observation value) is empty."]
        if len(values) <= 2 or not values[2]:
            errors[f"OBX[{index}].2"] = ["OBX-2 (value type) is required."]
    if errors:
        raise Hl7InputError(errors)


def message_parse(text: str) -> dict:
    """Read an ORU^R01 or MDM^T02: note text, title and the PID fields the de-identification
    needs (name, MRN), with errors by segment and field."""
    if not isinstance(text, str) or not text.strip():
        raise Hl7InputError({"message": ["An HL7 v2 message is required."]})
    segments = _segments(text)
    _precheck(segments)
    er7 = "\r".join(segments)
    try:
        message = parse_message(er7, find_groups=True)
        message.validate()
    except hl7_errors.HL7apyException as exc:
        detail = str(exc)
        raise Hl7InputError({_location(detail, "message"): [detail]}) from None
    sep = segments[0][3]
    component = segments[0][4]
    lines, title, name, mrn = [], "", "", ""
    for segment in segments:
        values = segment.split(sep)
        if segment.startswith("PID"):
            if len(values) > 5:
                name = " ".join(reversed([p for p in values[5].split(component)[:2] if p]))
            if len(values) > 3:
                mrn = values[3].split(component)[0]
        elif segment.startswith("TXA") and len(values) > 2:
            title = values[2].split(component)[-1]
        elif segment.startswith("OBR") and len(values) > 4 and not title:
            parts = values[4].split(component)
            title = parts[1] if len(parts) > 1 else parts[0]
        elif segment.startswith("OBX"):
            lines.append(_unescape(values[5], segments[0][4:8]))
    return {
        "text": "\n".join(lines),
        "title": title[:200],
        "patient_name": name,
        "mrn": mrn,
        "message_type": message.msh.msh_9.to_er7(),
    }


def _unescape(value: str, encoding: str) -> str:
    escape = encoding[2] if len(encoding) > 2 else "\\"
    repetition = encoding[1] if len(encoding) > 1 else "~"
    value = value.replace(repetition, "\n")
    replacements = {"F": "|", "S": "^", "T": "&", "R": "~", "E": "\\", ".br": "\n"}
    for code, char in replacements.items():
        value = value.replace(f"{escape}{code}{escape}", char)
    return value


def _escape(value: str) -> str:
    value = str(value).replace("\\", "\\E\\")
    for char, code in (("|", "F"), ("^", "S"), ("&", "T"), ("~", "R")):
        value = value.replace(char, f"\\{code}\\")
    return value.replace("\r", " ").replace("\n", " ")


def oru_build(
    *,
    note_id: str,
    patient_pseudonym: str,
    entities: list[dict],
    timestamp: str,
    pipeline_version: str,
) -> str:
    """The ORU^R01 message (ER7, segments separated by CR), validated by hl7apy."""
    message = Message("ORU_R01", version="2.5")
    message.msh.msh_3 = "MEDICAL_RECORDS"
    message.msh.msh_4 = "PLATFORM"
    message.msh.msh_5 = "RECEIVER"
    message.msh.msh_7 = timestamp
    message.msh.msh_9 = "ORU^R01^ORU_R01"
    message.msh.msh_10 = note_id.replace("-", "")[:20]
    message.msh.msh_11 = "P"
    result = message.add_group("ORU_R01_PATIENT_RESULT")
    patient = result.add_group("ORU_R01_PATIENT")
    pid = patient.add_segment("PID")
    pid.pid_3 = f"{_escape(patient_pseudonym)}^^^PSEUDONYM"
    pid.pid_5 = _escape(patient_pseudonym)
    order = result.add_group("ORU_R01_ORDER_OBSERVATION")
    obr = order.add_segment("OBR")
    obr.obr_1 = "1"
    obr.obr_3 = note_id.replace("-", "")[:20]
    obr.obr_4 = "11506-3^Progress note^LN"
    obr.obr_7 = timestamp
    obr.obr_25 = "F"
    for number, entity in enumerate(entities, start=1):
        observation = order.add_group("ORU_R01_OBSERVATION")
        obx = observation.add_segment("OBX")
        obx.obx_1 = str(number)
        code = entity["code"]
        obx.obx_3 = "^".join(
            (
                _escape(code.get("code") or entity["concept"]),
                _escape(entity["label"][:60]),
                code.get("hl7", "L"),
            )
        )
        obx.obx_4 = entity["type"]
        attributes = entity.get("attributes") or {}
        if entity["type"] == "test" and "value" in attributes:
            obx.obx_2 = "NM"
            obx.obx_5 = f"{attributes['value']:g}"
            if attributes.get("unit"):
                obx.obx_6 = _escape(attributes["unit"])
        else:
            obx.obx_2 = "ST"
            detail = entity["assertion"]
            if entity["type"] == "test" and attributes.get("value_text"):
                detail = f"{attributes['value_text']} {attributes.get('unit', '')}".strip()
            obx.obx_5 = _escape(detail)
        obx.obx_8 = "N" if entity["assertion"] == "negated" else ""
        obx.obx_11 = "F"
        obx.obx_17 = _escape(pipeline_version[:60])
    message.validate()
    return message.to_er7()


def oru_read_results(er7: str) -> list[dict]:
    """The OBX results of an ORU^R01 (what the round-trip test compares)."""
    message = parse_message(_normalise(er7), find_groups=True)
    message.validate()
    results = []
    for segment in _segments(er7):
        if segment.startswith("OBX"):
            values = segment.split("|")
            code = values[3].split("^")
            results.append(
                {
                    "code": code[0],
                    "system": code[2] if len(code) > 2 else "",
                    "type": values[2],
                    "value": values[5],
                    "unit": values[6] if len(values) > 6 else "",
                }
            )
    return results
