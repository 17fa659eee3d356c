"""RFC 3161 time-stamps of anchor records (optional: ``AUDIT_TSA_URL``).

With a time-stamping authority configured, every anchor record is sent (as its SHA-256, the
``message imprint``) to the TSA before it is written, and the TSA's signed token is kept in the
record as ``tst`` (base64 DER). The token is a third party's signed statement that the record
existed at ``genTime``: whoever holds our signing key later still cannot write an anchor that
claims an earlier time. The imprint covers the whole signed record except ``tst`` itself; the
record's Ed25519 signature does not cover ``tst`` (it is added after signing), but the next
record's ``prev`` hash does, so a token removed or swapped in the middle of a chain breaks the
link like any other rewrite.

Verification (``timestamp_problem``) needs the TSA's certificate (``AUDIT_TSA_CERT``, a PEM
file): the token must be a CMS SignedData over a TSTInfo whose imprint is the record's, its
signed attributes must carry that TSTInfo's digest, and their signature must verify under the
certificate's key (pinned: no chain building). A TSA that does not answer never stops an
anchor: the record is written without ``tst`` and the failure logged; ``audit_verify`` then
reports the record as ``timestamp_missing`` only when ``AUDIT_TSA_REQUIRED`` is on.

ASN.1 comes from ``asn1crypto`` (pure Python); signatures are checked with ``cryptography``.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import secrets
import urllib.request
from functools import lru_cache

from asn1crypto import cms, tsp
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from django.conf import settings

from apps.audit.hashing import canonical_json

logger = logging.getLogger("apps.audit.anchors")

TOKEN_FIELD = "tst"
_HASHES = {"sha256": hashes.SHA256, "sha384": hashes.SHA384, "sha512": hashes.SHA512}


class TimestampError(Exception):
    """The TSA refused, answered something else, or could not be reached."""


def record_imprint(record: dict) -> bytes:
    """SHA-256 of the record as signed, ``tst`` left out (what the TSA time-stamps)."""
    unstamped = {k: v for k, v in record.items() if k != TOKEN_FIELD}
    return hashlib.sha256(canonical_json(unstamped).encode("ascii")).digest()


def timestamp_request(imprint: bytes, nonce: int) -> bytes:
    """A DER TimeStampReq for a SHA-256 ``imprint``, asking for the TSA's certificate."""
    return tsp.TimeStampReq(
        {
            "version": "v1",
            "message_imprint": {
                "hash_algorithm": {"algorithm": "sha256"},
                "hashed_message": imprint,
            },
            "nonce": nonce,
            "cert_req": True,
        }
    ).dump()


def timestamp_fetch(url: str, imprint: bytes, *, timeout: float = 10.0) -> bytes:
    """Ask the TSA at ``url`` to time-stamp ``imprint``; the token's DER."""
    nonce = secrets.randbits(63)
    request = urllib.request.Request(
        url,
        data=timestamp_request(imprint, nonce),
        headers={"Content-Type": "application/timestamp-query"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:  # noqa: S310 (admin URL)
            body = answer.read()
    except OSError as exc:
        raise TimestampError(f"the TSA did not answer: {exc}") from exc
    try:
        response = tsp.TimeStampResp.load(body)
        status = response["status"]["status"].native
        if status not in ("granted", "granted_with_mods"):
            raise TimestampError(f"the TSA answered {status!r}")
        token = response["time_stamp_token"]
        tst_info = token["content"]["encap_content_info"]["content"].parsed
        if tst_info["nonce"].native != nonce:
            raise TimestampError("the TSA's answer carries another request's nonce")
        return token.dump()
    except (ValueError, KeyError, TypeError) as exc:
        raise TimestampError(f"the TSA's answer is not a time-stamp response: {exc}") from exc


def timestamp_record(record: dict) -> dict:
    """``record`` with its RFC 3161 token when AUDIT_TSA_URL is set (unchanged otherwise, or
    when the TSA fails: an anchor is never held back by a third party)."""
    url = getattr(settings, "AUDIT_TSA_URL", "") or ""
    if not url:
        return record
    try:
        token = timestamp_fetch(url, record_imprint(record))
    except TimestampError as exc:
        logger.error("anchor of chain %s written without a time-stamp: %s", record["chain"], exc)
        return record
    return {**record, TOKEN_FIELD: base64.b64encode(token).decode("ascii")}


@lru_cache(maxsize=4)
def _certificate(path: str) -> x509.Certificate:
    with open(path, "rb") as pem:
        return x509.load_pem_x509_certificate(pem.read())


def _verify_signature(public_key, signature: bytes, data: bytes, hash_name: str) -> None:
    algorithm = _HASHES[hash_name]()
    if isinstance(public_key, rsa.RSAPublicKey):
        public_key.verify(signature, data, padding.PKCS1v15(), algorithm)
    elif isinstance(public_key, ec.EllipticCurvePublicKey):
        public_key.verify(signature, data, ec.ECDSA(algorithm))
    elif isinstance(public_key, ed25519.Ed25519PublicKey):
        public_key.verify(signature, data)
    else:
        raise InvalidSignature(f"unsupported TSA key {type(public_key).__name__}")


def timestamp_token_check(token: bytes, imprint: bytes, certificate: x509.Certificate) -> str:
    """Check ``token`` (DER) against ``imprint`` and the TSA's ``certificate``; returns the
    token's genTime (ISO 8601). Raises ``TimestampError`` naming what does not hold."""
    try:
        info = cms.ContentInfo.load(token)
        if info["content_type"].native != "signed_data":
            raise TimestampError("the token is not CMS SignedData")
        signed = info["content"]
        encap = signed["encap_content_info"]
        if encap["content_type"].native != "tst_info":
            raise TimestampError("the token does not hold a TSTInfo")
        tst_der = encap["content"].contents
        tst_info = tsp.TSTInfo.load(tst_der)
        imprint_in = tst_info["message_imprint"]
        if imprint_in["hash_algorithm"]["algorithm"].native != "sha256":
            raise TimestampError("the token's imprint is not SHA-256")
        if imprint_in["hashed_message"].native != imprint:
            raise TimestampError("the token time-stamps another record (imprint differs)")
        signer = signed["signer_infos"][0]
        digest_name = signer["digest_algorithm"]["algorithm"].native
        if digest_name not in _HASHES:
            raise TimestampError(f"unsupported digest {digest_name}")
        attrs = {a["type"].native: a["values"][0].native for a in signer["signed_attrs"]}
        digest = hashlib.new(digest_name, tst_der).digest()
        if attrs.get("message_digest") != digest or attrs.get("content_type") != "tst_info":
            raise TimestampError("the token's signed attributes do not match its TSTInfo")
        # The signature is over the DER of the signed attributes as a SET (RFC 5652 5.4).
        signed_attrs = signer["signed_attrs"].untag().dump()
        _verify_signature(
            certificate.public_key(), signer["signature"].native, signed_attrs, digest_name
        )
    except TimestampError:
        raise
    except InvalidSignature as exc:
        raise TimestampError("the token's signature does not verify under the TSA's key") from exc
    except (ValueError, KeyError, TypeError, IndexError) as exc:
        raise TimestampError(f"the token is unreadable: {exc}") from exc
    return tst_info["gen_time"].native.isoformat()


def timestamp_problem(record: dict) -> str | None:
    """What is wrong with ``record``'s time-stamp (None: fine, or no TSA to check against)."""
    path = getattr(settings, "AUDIT_TSA_CERT", "") or ""
    if not path:
        return None
    encoded = record.get(TOKEN_FIELD)
    if not encoded:
        if getattr(settings, "AUDIT_TSA_REQUIRED", False):
            return "has no RFC 3161 time-stamp (AUDIT_TSA_REQUIRED)"
        return None
    try:
        token = base64.b64decode(encoded, validate=True)
        timestamp_token_check(token, record_imprint(record), _certificate(path))
    except (TimestampError, ValueError) as exc:
        return f"has a time-stamp that does not verify: {exc}"
    return None
