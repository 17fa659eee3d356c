"""Personal data never enters the hash-chained log: event ``details`` and ``resource_id`` go
through the platform's masker (``apps.privacy.logmask``) on write, so an erasure never needs to
touch the chain (issue 19).

- A value under a key *named* like personal data (``email``, ``Phone``, ``FULL_NAME``: names
  are compared case-insensitively, ``-`` and spaces read as ``_``) is replaced whole by
  ``REDACTED``, whatever it holds.
- Every other string (keys included, nested dicts and lists too) is masked by ``mask_for_log``:
  its cheap pre-check passes plain text through, and personal data (an e-mail, a phone number,
  a name in any case) becomes ``<EMAIL_ADDRESS>``, ``<PERSON>``, ...
- Values that cannot hold personal data skip the masker: numbers, booleans, UUIDs and hex
  digests (``tenant:<uuid>``, ``addr:<digest>`` too) and ISO timestamps (the ids and times
  most events carry).
- If masking fails the value is ``WITHHELD``: never stored unmasked.
"""

from __future__ import annotations

import logging
import re

from apps.privacy.logmask import mask_for_log

logger = logging.getLogger("apps.audit.services")

REDACTED = "<redacted>"
WITHHELD = "<withheld>"

# Key names whose values are personal data by definition (compared lowercased, "-" and " " as
# "_"). A key that merely contains one of these words (a model's "name") is masked like any
# other value: a person's name in it is still found by the masker.
PERSONAL_KEY_NAMES = frozenset(
    {
        "email",
        "e_mail",
        "email_address",
        "phone",
        "phone_number",
        "telephone",
        "mobile",
        "first_name",
        "last_name",
        "full_name",
        "given_name",
        "family_name",
        "surname",
        "username",
        "patient_name",
        "customer_name",
        "address",
        "street",
        "postcode",
        "birth_date",
        "date_of_birth",
        "dob",
        "ssn",
        "national_id",
        "passport",
        "iban",
        "card_number",
        "ip",
        "ip_address",
        "mrn",
        "medical_record_number",
        "password",
        "secret",
    }
)

_SAFE_SHAPE = re.compile(
    r"(?:[a-z_]+:)?"  # "tenant:<uuid>", "addr:<digest>"
    r"(?:[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}"
    r"|[0-9a-fA-F]{16,})"  # uuids, digests
    r"|\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?"
    r"|-?\d+(?:\.\d+)?"
)


def is_personal_key(name: str) -> bool:
    """Whether a details key names personal data (case-insensitive)."""
    return re.sub(r"[\s\-]+", "_", name.strip().lower()) in PERSONAL_KEY_NAMES


def mask_text(value: str) -> str:
    """``value`` through the masker, unless its shape cannot hold personal data."""
    if not value or _SAFE_SHAPE.fullmatch(value):
        return value
    try:
        return mask_for_log(value)
    except Exception:
        logger.exception("could not mask an audit value; withheld")
        return WITHHELD


def mask_details(value):
    """A JSON value (the normalised ``details``) with personal data masked (module docstring)."""
    if isinstance(value, dict):
        masked = {}
        for key, item in value.items():
            name = mask_text(str(key))
            masked[name] = REDACTED if is_personal_key(str(key)) and item else mask_details(item)
        return masked
    if isinstance(value, list):
        return [mask_details(item) for item in value]
    if isinstance(value, str):
        return mask_text(value)
    return value
