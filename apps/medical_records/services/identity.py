"""Pseudonyms, patients and re-identification.

- A token is ``[KIND-<10 letters>]``: an HMAC-SHA256 of the kind and the normalised value under a
  per-tenant key, so the same name is the same token in every note of a tenant and different in
  another tenant's.
- The mapping token -> value is stored encrypted under the tenant's data key
  (``PseudonymEntry.encrypted_value``, a ``PseudonymValueField``: rotated by
  ``privacy_rotate_keys``, crypto-shredded at offboarding); the model reads it decrypted.
- Dates move by the patient's offset (-365..-30 days, from the identity digest), so intervals
  between a patient's dates survive.
- Only a clinician holding an active ``ReidentificationGrant`` re-identifies, and every attempt
  is audited.
"""

from __future__ import annotations

import hashlib
import hmac

import regex
from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from apps.accounts.models import ApiKey, Membership
from apps.accounts.roles import Role
from apps.audit.services import audited
from apps.medical_records.models import Note, Patient, PseudonymEntry, ReidentificationGrant
from apps.medical_records.platform_key import decrypt, encrypt, fernet

__all__ = ["decrypt", "encrypt", "fernet"]  # the platform key, for the pending note batches

TOKEN = regex.compile(r"\[(?P<kind>NAME|ID|PHONE|EMAIL|ADDRESS|IP)-(?P<digest>[b-z]{10})\]")
# Token digests are written in letters: a token must never contain digits that could read as
# (or be mistaken for) part of an identifier, an age or a dose.
_LETTERS = str.maketrans("0123456789abcdef", "bcdfghjkmnpqrstv")
_SPACES = regex.compile(r"\s+")


class ReidentificationDenied(Exception):
    """The credential may not re-identify (wrong role or no active grant)."""


def tenant_key(tenant) -> bytes:
    """The tenant's pseudonym key: never stored, derived from the server secret and the
    tenant's salt."""
    return hmac.new(
        settings.SECRET_KEY.encode(),
        f"medical-pseudonym:{tenant.pk}:{tenant.digest_salt}".encode(),
        hashlib.sha256,
    ).digest()


def normalise(kind: str, value: str) -> str:
    value = _SPACES.sub(" ", value.strip())
    if kind in ("PHONE", "ID"):
        return regex.sub(r"[^0-9A-Za-z]", "", value).upper()
    return value.casefold()


class Pseudonymizer:
    """Tokens for one tenant; remembers the values it tokenised so that ``save`` writes their
    encrypted mapping (one statement per note or per batch chunk)."""

    def __init__(self, tenant):
        self.tenant = tenant
        self.key = tenant_key(tenant)
        self.pending: dict[str, tuple[str, str]] = {}

    def digest(self, kind: str, value: str) -> str:
        message = f"{kind}\x1f{normalise(kind, value)}".encode()
        return hmac.new(self.key, message, hashlib.sha256).hexdigest()

    def __call__(self, kind: str, value: str) -> str:
        token = f"[{kind}-{self.digest(kind, value)[:10].translate(_LETTERS)}]"
        if token not in self.pending:
            self.pending[token] = (kind, value)
        return token

    def save(self) -> int:
        if not self.pending:
            return 0
        rows = [
            PseudonymEntry(tenant=self.tenant, kind=kind, token=token, encrypted_value=value)
            for token, (kind, value) in self.pending.items()
        ]
        PseudonymEntry.objects.bulk_create(rows, ignore_conflicts=True, batch_size=1000)
        self.pending.clear()
        return len(rows)

    # ------------------------------------------------------------------ patients
    def patient_identity(self, *, mrn: str, name: str) -> tuple[str, str] | None:
        """(identity digest, pseudonym) of the patient a note names, or None."""
        if mrn:
            digest = self.digest("ID", mrn)
        elif name:
            digest = self.digest("NAME", name)
        else:
            return None
        pseudonym = self("NAME", name) if name else self("ID", mrn)
        return digest, pseudonym


def offset_days(identity_digest: str) -> int:
    """The patient's date shift: 30 to 365 days back, fixed by the identity digest."""
    return -(30 + int(identity_digest[:8], 16) % 336)


def patients_resolve(*, tenant, identities: dict[str, str]) -> dict[str, Patient]:
    """Patients by identity digest (``identities`` maps digest -> pseudonym), created when new."""
    if not identities:
        return {}
    existing = {
        p.identity_digest: p
        for p in Patient.objects.filter(tenant=tenant, identity_digest__in=list(identities))
    }
    new = [
        Patient(
            tenant=tenant,
            identity_digest=digest,
            pseudonym=pseudonym,
            date_offset_days=offset_days(digest),
        )
        for digest, pseudonym in identities.items()
        if digest not in existing
    ]
    if new:
        Patient.objects.bulk_create(new, ignore_conflicts=True)
        existing = {
            p.identity_digest: p
            for p in Patient.objects.filter(tenant=tenant, identity_digest__in=list(identities))
        }
    return existing


# ------------------------------------------------------------------ re-identification
def grant_active_for(*, tenant, credential) -> ReidentificationGrant | None:
    now = timezone.now()
    grants = ReidentificationGrant.objects.filter(tenant=tenant, revoked_at__isnull=True).filter(
        Q(expires_at__isnull=True) | Q(expires_at__gt=now)
    )
    if isinstance(credential, ApiKey):
        return grants.filter(api_key=credential).first()
    if isinstance(credential, Membership):
        return grants.filter(user_id=credential.user_id).first()
    return None


def note_reidentify(*, tenant, note: Note, credential, role: str) -> str:
    """The note's text with its pseudonym tokens replaced by the original values (dates stay
    shifted). Clinicians with an active grant only; audited whether allowed or not."""
    grant = (
        grant_active_for(tenant=tenant, credential=credential) if role == Role.CLINICIAN else None
    )
    with audited(
        tenant=tenant,
        action="medical_records.note.reidentify",
        resource_type="medical_records.note",
        resource_id=str(note.pk),
    ) as event:
        if grant is None:
            event.outcome = "denied"
            event.status_code = 403
            event.details = {"reason": "clinician role with an active grant required"}
        else:
            event.details = {"grant": str(grant.public_id)}
    if grant is None:
        raise ReidentificationDenied(
            "Re-identification needs the clinician role and an active re-identification grant."
        )
    tokens = {m.group() for m in TOKEN.finditer(note.text)}
    values = {
        entry.token: entry.encrypted_value  # decrypted by the field
        for entry in PseudonymEntry.objects.filter(tenant=tenant, token__in=tokens)
    }
    return TOKEN.sub(lambda m: values.get(m.group(), m.group()), note.text)


def grant_create(
    *, tenant, reason: str, user=None, api_key=None, granted_by=None, expires_at=None
) -> ReidentificationGrant:
    """Give one clinician user or API key the right to re-identify (audited)."""
    with audited(
        tenant=tenant,
        action="medical_records.grant.create",
        resource_type="medical_records.reidentificationgrant",
    ) as event:
        grant = ReidentificationGrant.objects.create(
            tenant=tenant,
            user=user,
            api_key=api_key,
            reason=reason,
            granted_by=granted_by,
            expires_at=expires_at,
        )
        event.resource_id = str(grant.public_id)
    return grant
