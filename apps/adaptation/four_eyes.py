"""Adapter promotions under four eyes while the tenant asks for it (an admin requests, another
admin approves; ``apps.registry.promotions``). Registered when the app is ready."""

from __future__ import annotations

from apps.accounts.roles import Role
from apps.registry.promotions import four_eyes_register

from .models import AdapterVersion
from .services import adapter_promote


def _promote(*, tenant, version, state, approval):
    return adapter_promote(tenant=tenant, adapter=version, approval=approval)


def register() -> None:
    four_eyes_register(
        AdapterVersion,
        approval_kind="adaptation.adapter.promote",
        approver_roles={Role.ADMIN},
        promote=_promote,
        required=lambda tenant: tenant.four_eyes_promotions,
    )
