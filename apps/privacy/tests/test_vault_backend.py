"""PRIVACY_KEY_BACKEND="vault": the real key service (apps.privacy.keys) with hvac talking HTTP
to a local server that implements Vault's transit endpoints (tests/vault_transit.py): tenant
data keys are wrapped by Vault, encrypted fields read back, Vault key rotation plus
``privacy_rotate_keys`` keeps every value readable (even with the old Vault version retired),
and a wrong token or an unreachable Vault is a loud ``KeyServiceError``, never a silent
fallback to the environment's master key nor a value read as erased."""

from __future__ import annotations

import socket
from io import StringIO

import pytest
from django.core.management import call_command
from django.test import override_settings

from apps.accounts.models import Tenant
from apps.customer_service.models import Turn
from apps.customer_service.tests import factories as cs
from apps.privacy import keys, masterkey
from apps.privacy.masterkey import KeyServiceError, platform_fernet
from apps.privacy.models import TenantDataKey
from tests.raw_sql import raw_text

from .vault_transit import VaultTransitServer

pytestmark = pytest.mark.django_db
SECRET = "my card is 4111 1111 1111 1111, call 555-0199"


def _forget_keys():
    """Drop the unwrapped data keys each process caches for a minute, so the next read asks
    the master key again (as a fresh worker would)."""
    keys._tenant_keys.clear()


@pytest.fixture
def vault():
    with VaultTransitServer() as server:
        with override_settings(
            PRIVACY_KEY_BACKEND="vault",
            VAULT_ADDR=server.url,
            VAULT_TOKEN=server.token,
            VAULT_TRANSIT_KEY="platform",
        ):
            _forget_keys()
            yield server
    _forget_keys()


def _read(turn) -> str:
    _forget_keys()
    return Turn.objects.get(pk=turn.pk).text


def test_tenant_data_key_is_wrapped_by_vault_and_fields_read_back(tenant, vault):
    turn = cs.turn(tenant, text=SECRET)
    data_key = TenantDataKey.objects.get(tenant=tenant)
    assert data_key.master_key_id == "vault:platform"
    assert data_key.wrapped_key.startswith("vault:v1:")
    assert vault.calls["encrypt/platform"] == 1
    raw = raw_text(Turn, "text", turn.pk)
    assert raw.startswith(f"pv1:{tenant.pk}:1:")
    assert not any(word in raw for word in SECRET.split() if len(word) > 3)
    assert _read(turn) == SECRET
    assert vault.calls["decrypt/platform"] >= 1  # the data key came back from Vault


def test_vault_rotation_and_privacy_rotate_keys_keep_every_value_readable(
    tenant, other_tenant, vault
):
    turns = [cs.turn(tenant, text=f"{SECRET} #{i}") for i in range(3)]
    theirs = cs.turn(other_tenant, text="other tenant text")
    assert vault.rotate("platform") == 2  # `vault write -f transit/keys/platform/rotate`
    assert _read(turns[0]) == f"{SECRET} #0"  # v1-wrapped keys still unwrap

    call_command("privacy_rotate_keys", stdout=StringIO())
    live = TenantDataKey.objects.filter(destroyed_at__isnull=True)
    assert live.filter(tenant=tenant).count() == 2
    # Every data key, old and new, is now wrapped under Vault's newest version ...
    assert all(row.wrapped_key.startswith("vault:v2:") for row in live)
    assert vault.calls["rewrap/platform"] == 2  # one old key per tenant, never decrypted
    # ... so Vault can retire version 1 (min_decryption_version) and nothing is lost.
    vault.keys["platform"].min_decryption_version = 2
    for i, turn in enumerate(turns):
        assert raw_text(Turn, "text", turn.pk).startswith(f"pv1:{tenant.pk}:2:")
        assert _read(turn) == f"{SECRET} #{i}"
    assert _read(theirs) == "other tenant text"


def test_a_wrong_token_is_a_clear_error_not_a_fallback(tenant, vault):
    turn = cs.turn(tenant, text=SECRET)
    with override_settings(VAULT_TOKEN="s.wrong"):
        _forget_keys()
        with pytest.raises(KeyServiceError, match="VAULT_TOKEN") as caught:
            Turn.objects.get(pk=turn.pk)
        assert "403" in str(caught.value) or "permission denied" in str(caught.value)
        with pytest.raises(KeyServiceError):
            cs.turn(Tenant.objects.create(name="Another", slug="another-vault"), text="new")
    # Nothing was wrapped by another master key meanwhile, and the value is intact.
    assert set(TenantDataKey.objects.values_list("master_key_id", flat=True)) == {"vault:platform"}
    assert _read(turn) == SECRET


def test_an_unreachable_vault_is_a_clear_error(tenant, vault):
    turn = cs.turn(tenant, text=SECRET)
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{closed.getsockname()[1]}"
    with override_settings(VAULT_ADDR=dead):
        _forget_keys()
        with pytest.raises(KeyServiceError, match="unreachable"):
            Turn.objects.get(pk=turn.pk)


def test_platform_keys_survive_a_vault_rotation_and_are_cached(vault):
    token = platform_fernet("celery").encrypt(b"queued prompt")
    platform_fernet("celery")
    assert vault.calls["hmac/platform"] == 1  # one Vault call per purpose and process
    vault.rotate("platform")
    masterkey._backend = None  # a fresh process after the rotation
    assert platform_fernet("celery").decrypt(token) == b"queued prompt"


def test_a_misconfigured_backend_is_refused_not_replaced(settings):
    from django.core.exceptions import ImproperlyConfigured

    from apps.privacy.checks import key_backend_problems

    settings.PRIVACY_KEY_BACKEND = "vualt"
    assert [p.id for p in key_backend_problems()] == ["privacy.E001"]
    with pytest.raises(ImproperlyConfigured, match="vualt"):
        platform_fernet("celery")
    settings.PRIVACY_KEY_BACKEND, settings.VAULT_ADDR, settings.VAULT_TOKEN = "vault", "", "t"
    assert [p.id for p in key_backend_problems()] == ["privacy.E002"]
    assert "VAULT_ADDR" in key_backend_problems()[0].msg
    settings.PRIVACY_KEY_BACKEND = "env"
    assert key_backend_problems() == []
