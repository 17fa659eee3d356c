"""Transactions arriving by API (one, or a batch of labelled history): card numbers, device ids,
IP addresses and phone numbers become keyed digests on arrival, the accounts are found or
created, the rows are stored in one statement and the accounts' online window state is rebuilt
from them."""

from __future__ import annotations

import hashlib
import hmac
import re

from django.conf import settings
from django.db import transaction

from apps.audit.services import audited
from apps.financial_risk.models import RiskAccount, Transaction

from .fraud_state import state_rebuild

TOKEN_PREFIX = "ct_"


def card_token(number: str) -> str:
    """A keyed digest (HMAC-SHA256 under ``FRAUD_CARD_TOKEN_KEY``) of the card number's
    digits: the same card always gets the same token, so velocity and ring features can join
    on it, and nobody without the key can test a guessed number against it."""
    digits = "".join(ch for ch in number if ch.isdigit())
    return TOKEN_PREFIX + _keyed_digest(digits)


def _keyed_digest(message: str) -> str:
    """HMAC-SHA256 under ``FRAUD_CARD_TOKEN_KEY``, 40 hex characters: every token here."""
    key = settings.FRAUD_CARD_TOKEN_KEY.encode()
    return hmac.new(key, message.encode(), hashlib.sha256).hexdigest()[:40]


# Identifiers that name a person's device, connection or phone: only equality matters to the
# features (new device) and to ring detection (shared identifiers), so they are stored, kept
# in Redis and put in the ring graph as keyed digests, never in clear (issue 19).
IDENTIFIER_PREFIXES = {"device_id": "dt_", "ip_address": "it_", "phone": "pt_"}


def identifier_token(field: str, value: str) -> str:
    """The keyed digest of one identifier (HMAC-SHA256 under ``FRAUD_CARD_TOKEN_KEY``, the
    field's name mixed in so a device and a phone with the same text differ); "" stays ""."""
    value = (value or "").strip()
    if not value:
        return ""
    prefix = IDENTIFIER_PREFIXES[field]
    if value.startswith(prefix) and len(value) == len(prefix) + 40:
        return value  # already a token (a stored row fed back)
    return prefix + _keyed_digest(f"{field}\x00{value}")


CARD_NUMBER_FORMAT = re.compile(r"^[0-9 -]{12,23}$")
CARD_NUMBER_PROBLEM = "Must be 12 to 19 digits (spaces or dashes allowed)."
# What a CSV import stages in place of a cell that is not a card number (the job reports it).
CARD_NUMBER_REFUSED = "!refused"


def card_number_digits(value: str) -> str | None:
    """The digits of a card number as typed (spaces or dashes allowed), "" for none, None when
    it is not a card number. Callers' messages never repeat the value (a mistyped card number
    must not reach logs)."""
    value = (value or "").strip()
    if not value:
        return ""
    if not CARD_NUMBER_FORMAT.match(value):
        return None
    digits = re.sub(r"\D", "", value)
    return digits if 12 <= len(digits) <= 19 else None


def truncate_ms(moment):
    """Times are kept to the millisecond: the online and offline paths agree on ties."""
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


def accounts_ensure(*, tenant, external_ids) -> dict[str, RiskAccount]:
    """The tenant's accounts by external id, created when missing (with their ring)."""
    wanted = set(external_ids)
    found = {
        a.external_id: a
        for a in RiskAccount.objects.filter(tenant=tenant, external_id__in=wanted).select_related(
            "ring"
        )
    }
    missing = [RiskAccount(tenant=tenant, external_id=e) for e in wanted - set(found)]
    if missing:
        RiskAccount.objects.bulk_create(missing, ignore_conflicts=True)
        for account in RiskAccount.objects.filter(
            tenant=tenant, external_id__in=[m.external_id for m in missing]
        ).select_related("ring"):
            found[account.external_id] = account
    return found


def transaction_fields(clean: dict) -> dict:
    """Model fields of a validated transaction (``card`` already a token; the device and IP
    become tokens here)."""
    return {
        "amount": clean["amount"],
        "currency": clean.get("currency", ""),
        "occurred_at": truncate_ms(clean["occurred_at"]),
        "merchant_category": clean.get("merchant_category"),
        "device_id": identifier_token("device_id", clean.get("device_id", "")),
        "ip_address": identifier_token("ip_address", clean.get("ip_address", "")),
        "channel": clean.get("channel", ""),
        "country": clean.get("country", ""),
        "card": clean.get("card", ""),
        "reference": clean.get("reference", ""),
        "is_fraud": bool(clean.get("is_fraud", False)),
    }


def transactions_ingest(
    *, tenant, rows: list[dict], source: dict | None = None
) -> list[Transaction]:
    """Store validated transactions (history, possibly labelled) in one statement, audit the
    batch (``source``: where they came from, e.g. a CSV import), and rebuild the touched
    accounts' window state from the database."""
    accounts = accounts_ensure(tenant=tenant, external_ids=[r["account"] for r in rows])
    objects = [
        Transaction(tenant=tenant, account=accounts[r["account"]], **transaction_fields(r))
        for r in rows
    ]
    with (
        audited(
            tenant=tenant,
            action="financial_risk.transactions.ingest",
            resource_type="financial_risk.transaction",
        ) as event,
        transaction.atomic(),
    ):
        stored = Transaction.objects.bulk_create(objects, batch_size=5000)
        event.row_count = len(stored)
        event.details = {
            "accounts": len(accounts),
            "labelled_fraud": sum(o.is_fraud for o in objects),
            **(source or {}),
        }
    # Rebuilt from the rows just stored (also right when history arrives out of order).
    state_rebuild(tenant=tenant, account_ids={a.pk for a in accounts.values()})
    return stored
