"""input_digest: a keyed, per-tenant HMAC that cannot be recomputed from the data alone."""

from __future__ import annotations

import hashlib
import json

import pytest

from apps.audit.hashing import canonical_json
from apps.audit.services import input_digest

pytestmark = pytest.mark.django_db

DATA = {"name": "Jane Doe", "date_of_birth": "1980-04-01", "amount": 1200}


def test_same_data_and_tenant_give_the_same_digest(tenant):
    reordered = {"amount": 1200, "date_of_birth": "1980-04-01", "name": "Jane Doe"}
    digest = input_digest(tenant=tenant, data=DATA)
    assert digest == input_digest(tenant=tenant, data=reordered)  # canonical JSON
    assert len(digest) == 64 and int(digest, 16) >= 0


def test_other_tenant_or_other_data_give_another_digest(tenant, other_tenant):
    digest = input_digest(tenant=tenant, data=DATA)
    assert digest != input_digest(tenant=other_tenant, data=DATA)
    assert digest != input_digest(tenant=tenant, data={**DATA, "amount": 1201})


def test_digest_is_not_a_plain_hash_of_the_data(tenant):
    digest = input_digest(tenant=tenant, data=DATA)
    assert digest != hashlib.sha256(canonical_json(DATA).encode()).hexdigest()
    assert digest != hashlib.sha256(json.dumps(DATA).encode()).hexdigest()
    assert (
        digest != hashlib.sha256((tenant.digest_salt + canonical_json(DATA)).encode()).hexdigest()
    )


def test_digest_depends_on_the_server_key(tenant, settings):
    digest = input_digest(tenant=tenant, data=DATA)
    settings.AUDIT_DIGEST_KEY = "another-server-key"
    assert input_digest(tenant=tenant, data=DATA) != digest


def test_digest_needs_a_tenant():
    with pytest.raises(ValueError):
        input_digest(tenant=None, data=DATA)
