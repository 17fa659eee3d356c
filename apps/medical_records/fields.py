"""``PseudonymValueField``: a pseudonym's (or a missed-PHI correction's) real value, encrypted
under the tenant's data key like every other encrypted field (``apps.privacy.fields``), so
``privacy_rotate_keys`` rotates it and offboarding crypto-shreds it.

Before migration 0006 these values were Fernet tokens under the platform-wide
``MEDICAL_RECORDS_ENCRYPTION_KEY``; a value still stored so (a row the migration has not reached
yet, a restored backup) reads through that key, and the migration and key rotation re-encrypt it
under the tenant key (``clear_value``).
"""

from __future__ import annotations

from apps.privacy.fields import ERASED, EncryptedTextField

from . import platform_key


class PseudonymValueField(EncryptedTextField):
    def clear_value(self, stored: str) -> str:
        if not stored:
            return stored
        try:
            return platform_key.decrypt(stored)
        except (platform_key.InvalidToken, UnicodeEncodeError, ValueError):
            # Not under the platform key either (it changed, or the row is damaged): the
            # value is unreadable, like a value whose tenant key is destroyed.
            return ERASED
