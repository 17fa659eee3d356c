"""The shape and the hash of an API key, used by the services that issue keys and by the
selectors that look them up (so that neither imports the other for it).

A key is ``vap_<prefix>_<secret>``: the prefix finds the row, the HMAC of the whole key under
``API_KEY_HASH_KEY`` proves it; only the HMAC is stored.
"""

from __future__ import annotations

import hashlib
import hmac

from django.conf import settings

API_KEY_PREFIX = "vap"


def hash_api_key(token: str) -> str:
    """HMAC-SHA256 of the whole key under API_KEY_HASH_KEY (constant cost, microseconds)."""
    return hmac.new(settings.API_KEY_HASH_KEY.encode(), token.encode(), hashlib.sha256).hexdigest()


def split_api_key(token: str) -> tuple[str, str] | None:
    """Return (prefix, secret) of a well-formed key, else None."""
    parts = token.split("_", 2)
    if len(parts) != 3 or parts[0] != API_KEY_PREFIX or not parts[1] or len(parts[2]) < 32:
        return None
    return parts[1], parts[2]
