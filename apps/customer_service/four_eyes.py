"""Intent-model promotions under four eyes while the tenant asks for it (training then keeps
the new version a draft; an admin requests, another admin approves;
``apps.registry.promotions``). Registered when the app is ready."""

from __future__ import annotations

from apps.accounts.roles import Role
from apps.registry.promotions import four_eyes_register

from .models import IntentModel
from .services import intent_model_promote


def _promote(*, tenant, version, state, approval):
    return intent_model_promote(tenant=tenant, model=version, approval=approval)


def register() -> None:
    four_eyes_register(
        IntentModel,
        approval_kind="customer_service.intent_model.promote",
        approver_roles={Role.ADMIN},
        promote=_promote,
        required=lambda tenant: tenant.four_eyes_promotions,
    )
