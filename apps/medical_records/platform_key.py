"""The platform-wide Fernet key of the medical records (``MEDICAL_RECORDS_ENCRYPTION_KEY``, by
default derived from the secret key).

It still encrypts the pending note batches' rows (emptied when their job ends). The pseudonym
values and missed-PHI corrections were encrypted with it before migration 0006 moved them to
each tenant's data key (``fields.PseudonymValueField``); values still under it are read here.
"""

from __future__ import annotations

import base64
import functools
import hashlib

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings

__all__ = ["InvalidToken", "decrypt", "encrypt", "fernet"]


@functools.cache
def _fernet_for(secret: str, configured: str) -> Fernet:
    key = configured
    if not key:
        digest = hashlib.sha256(b"medical-records-fernet:" + secret.encode()).digest()
        key = base64.urlsafe_b64encode(digest).decode()
    return Fernet(key.encode() if isinstance(key, str) else key)


def fernet() -> Fernet:
    configured = getattr(settings, "MEDICAL_RECORDS_ENCRYPTION_KEY", "") or ""
    return _fernet_for(settings.SECRET_KEY, configured)


def encrypt(value: str) -> str:
    return fernet().encrypt(value.encode("utf-8")).decode("ascii")


def decrypt(token: str) -> str:
    return fernet().decrypt(token.encode("ascii")).decode("utf-8")
