"""Refused requests, audited as rate-limited aggregates.

Writing one chained event per refused request let anyone with a bad key write to the audit log
as fast as they could send requests, each under the chain-head lock. Instead, refusals are
counted per source and minute in the cache, and the chain gets at most two rows per source per
minute: the first refusal of the minute (as it happened), and, when the source is refused again
in a later minute, one aggregate row with how many more the previous minute had.

A source is the credential that was refused (its key prefix or user) when it authenticated,
else the client address. A 403 of an authenticated caller goes to its own tenant's chain (it is
about the caller's own role); everything else (401, 404, 429) goes to the platform chain, so that
a 404 for another tenant's id never lands in the requester's own log, where it would confirm
that the id exists.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import time

from django.conf import settings
from django.core.cache import cache
from django.db import transaction

from apps.audit.models import Outcome
from apps.core.context import Actor, get_actor
from apps.core.public_ids import user_public_id
from apps.privacy.logmask import mask_for_log  # the detectors load on first use

from . import events
from .events import MAX_REASON_CHARS, WITHHELD

logger = logging.getLogger("apps.audit.services")

BUCKET_TTL_S = 180


def client_address(request) -> str:
    """The client's address: REMOTE_ADDR, which the proxy in front sets (gunicorn honours
    forwarded headers only from FORWARDED_ALLOW_IPS)."""
    return getattr(request, "META", {}).get("REMOTE_ADDR", "") or "unknown"


def _credential(request):
    return vars(request).get("_auth")


def _source(request) -> str:
    credential = _credential(request)
    prefix = getattr(credential, "prefix", None)
    if prefix:
        return f"key:{prefix}"
    user_id = getattr(credential, "user_id", None)
    if user_id:
        return f"user:{user_id}"
    # The address is personal data: the chain keeps a keyed digest of it, enough to tell
    # sources apart and to match a known address, never the address itself.
    digest = hmac.new(
        settings.AUDIT_DIGEST_KEY.encode(), client_address(request).encode(), hashlib.sha256
    )
    return f"addr:{digest.hexdigest()[:16]}"


def _mask(text: str) -> str:
    try:
        return mask_for_log(text)
    except Exception:
        logger.exception("could not mask a denied request's path or reason; withheld")
        return WITHHELD


def _tenant_for(request, status_code: int):
    credential = _credential(request)
    tenant = getattr(credential, "tenant", None)
    return tenant if status_code == 403 else None


def _actor(request) -> Actor:
    actor = get_actor()
    if actor.kind != "anonymous":
        return actor
    user = getattr(getattr(request, "_request", request), "user", None)
    if user is not None and user.is_authenticated and getattr(user, "pk", None) is not None:
        return Actor("user", id=user_public_id(user.pk), label=user.get_username())
    return actor


def denial_record(*, request, status_code: int, reason: str, action: str = ""):
    """Count one refused request; write an audit row only when the limits above allow it.

    Returns the event written for this request, or None (counted only). Never raises in
    production: an audit failure is logged and the 4xx goes out (AUDIT_RAISE_ERRORS in tests).
    """
    try:
        source = _source(request)
        minute = int(time.time() // 60)
        bucket = f"audit:denials:{source}:{minute}"
        if not cache.add(bucket, 1, BUCKET_TTL_S):
            try:
                cache.incr(bucket)
            except ValueError:  # expired between the two calls
                cache.add(bucket, 1, BUCKET_TTL_S)
            return None
        with transaction.atomic():
            _flush_previous(request, source, minute)
            return events.audit_event_record(
                tenant=_tenant_for(request, status_code),
                action=action or f"http.{request.method.lower()}.denied",
                resource_type="http.path",
                resource_id=_mask(request.path),
                outcome=Outcome.DENIED,
                status_code=status_code,
                details={"reason": _mask(str(reason)[:MAX_REASON_CHARS]), "source": source},
                actor=_actor(request),
            )
    except Exception:
        logger.exception("could not audit a denied request (status %s)", status_code)
        if getattr(settings, "AUDIT_RAISE_ERRORS", False):
            raise
        return None


def _flush_previous(request, source: str, minute: int) -> None:
    """The previous minute's refusals beyond its first, as one aggregate row (once)."""
    previous = cache.get(f"audit:denials:{source}:{minute - 1}")
    if not previous or previous <= 1:
        return
    if not cache.add(f"audit:denials:{source}:{minute - 1}:flushed", 1, BUCKET_TTL_S):
        return
    events.audit_event_record(
        tenant=None,
        action="http.denied.aggregate",
        resource_type="http.source",
        resource_id=source,
        outcome=Outcome.DENIED,
        row_count=previous - 1,
        details={"minute": (minute - 1) * 60, "more_refusals": previous - 1},
        actor=_actor(request),
    )
