"""Four eyes on promotion for any kind of the registry (``apps.registry.four_eyes``): only an
approved request of the given kind, for this version and target state, decided by someone
other than the requester, lets a promotion through."""

from __future__ import annotations

import uuid

import pytest

from apps.accounts.roles import Role
from apps.approvals.models import ApprovalRequest, ApprovalState
from apps.registry.four_eyes import four_eyes_refusals, promotion_target
from apps.registry.gates import PromotionRequest

pytestmark = pytest.mark.django_db
KIND = "tests.promotion"


class Version:
    """Enough of a version for the check: its label, pk and model meta."""

    pk = uuid.uuid4()
    label = "thing:v2"

    class _meta:  # noqa: N801  mirrors Django's attribute
        label_lower = "tests.thing"


def ask(tenant, approval, to_state="champion"):
    context = {} if approval is None else {"approval": approval}
    return PromotionRequest(
        tenant=tenant, version=Version(), from_state="draft", to_state=to_state, context=context
    )


@pytest.fixture
def approval(tenant, make_member):
    requester = make_member(tenant, Role.ANALYST)
    return ApprovalRequest(
        tenant=tenant,
        kind=KIND,
        target=promotion_target(Version()),
        payload={"state": "champion"},
        requested_by=requester,
        decided_by=make_member(tenant, Role.ADMIN),
        state=ApprovalState.APPROVED,
    )


def test_an_approval_by_a_second_person_lets_it_through(tenant, approval):
    assert promotion_target(Version()) == f"tests.thing:{Version.pk}"
    assert four_eyes_refusals(ask(tenant, approval), approval_kind=KIND) == []


def test_no_approval_is_refused(tenant):
    (reason,) = four_eyes_refusals(ask(tenant, None), approval_kind=KIND)
    assert "promotion needs four eyes" in reason


def test_the_requester_deciding_is_refused(tenant, approval):
    approval.decided_by = approval.requested_by
    (reason,) = four_eyes_refusals(ask(tenant, approval), approval_kind=KIND)
    assert "cannot approve their own promotion" in reason


@pytest.mark.parametrize(
    "change",
    [
        {"state": ApprovalState.REQUESTED},
        {"state": ApprovalState.REJECTED},
        {"kind": "privacy.erasure"},
        {"target": "tests.thing:another"},
        {"payload": {"state": "challenger"}},
    ],
)
def test_an_approval_for_something_else_is_refused(tenant, approval, change):
    for name, value in change.items():
        setattr(approval, name, value)
    assert len(four_eyes_refusals(ask(tenant, approval), approval_kind=KIND)) == 1
