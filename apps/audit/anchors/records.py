"""Anchor records: the signed lines the anchor store keeps, and how they are checked.

Three kinds, each a JSON object signed (Ed25519, ``apps.audit.signing``) over its canonical
JSON without ``sig``:

- ``anchor``: chain X had ``head_hash`` at ``seq`` at ``time``. ``prev`` is the SHA-256 of the
  chain's previous record (null for its first), so removing or rewriting a record in the middle
  of a chain's anchors breaks the link after it.
- ``restore``: the operator restored an older backup; the chain's expected end goes back to
  ``seq`` (a recorded, signed restore instead of an undetectable truncation). Linked like an
  anchor.
- ``prune``: the audit log's own retention deleted the chain's events up to ``seq`` (whole
  anchored periods, ``apps.audit.services.retention``); the chain now starts after it, its
  first event linking to ``head_hash``. Linked like an anchor.
- ``chain`` (the manifest): the chain exists, first anchored at ``first_seq`` by the record
  whose hash is ``first_anchor``. The manifest lists every chain that ever existed, so a chain
  that vanished from the database is missed.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from django.utils import timezone

from apps.audit.hashing import canonical_json, iso_timestamp
from apps.audit.signing import key_ring, sign, signature_valid

RECORD_VERSION = 1
ANCHOR = "anchor"
RESTORE = "restore"
PRUNE = "prune"
MANIFEST = "chain"


@dataclass(frozen=True)
class AnchorRecord:
    """One record read back from the store, with where it was found (for reports)."""

    data: dict
    where: str

    @property
    def kind(self) -> str:
        return self.data.get("type", "")

    @property
    def chain(self) -> str:
        return self.data.get("chain", "")

    @property
    def seq(self) -> int:
        return int(self.data.get("seq", self.data.get("first_seq", 0)) or 0)

    @property
    def head_hash(self) -> str:
        return self.data.get("head_hash", self.data.get("first_head_hash", ""))

    @property
    def time(self) -> str:
        return self.data.get("time", "")

    @property
    def hash(self) -> str:
        return record_hash(self.data)

    def signed(self) -> bool:
        return record_signature_valid(self.data)


def record_hash(data: dict) -> str:
    """SHA-256 of the whole record (signature included): what the next record's ``prev`` names."""
    return hashlib.sha256(canonical_json(data).encode("ascii")).hexdigest()


def _signed(payload: dict) -> dict:
    # The key id is part of what is signed, so it cannot be swapped for another trusted key's.
    payload = {**payload, "key_id": key_ring().signing_id}
    key_id, signature = sign(payload)
    assert key_id == payload["key_id"]
    return {**payload, "sig": signature}


def record_signature_valid(data: dict) -> bool:
    """Whether ``data['sig']`` verifies over the rest of the record under a trusted key (an
    RFC 3161 token, ``tst``, is added after signing: ``.timestamps``)."""
    payload = {k: v for k, v in data.items() if k not in ("sig", "tst")}
    return signature_valid(payload, key_id=data.get("key_id", ""), signature=data.get("sig", ""))


def anchor_record(*, chain, tenant_id, seq, head_hash, prev, kind=ANCHOR, at=None) -> dict:
    """A signed anchor (or ``restore``) record of ``chain`` at ``seq``/``head_hash``."""
    return _signed(
        {
            "v": RECORD_VERSION,
            "type": kind,
            "chain": chain,
            "tenant_id": str(tenant_id) if tenant_id else None,
            "seq": seq,
            "head_hash": head_hash,
            "time": iso_timestamp(at or timezone.now()),
            "prev": prev,
        }
    )


def manifest_record(*, first: dict) -> dict:
    """The signed manifest entry of the chain whose first anchor record is ``first``."""
    return _signed(
        {
            "v": RECORD_VERSION,
            "type": MANIFEST,
            "chain": first["chain"],
            "tenant_id": first["tenant_id"],
            "first_seq": first["seq"],
            "first_head_hash": first["head_hash"],
            "first_anchor": record_hash(first),
            "time": first["time"],
        }
    )
