"""The promotion hook: gates registered in code, for one kind or every kind, and gates named
in settings, each able to refuse a promotion with reasons; a refusal changes nothing and is
audited; retiring passes no gate."""

from __future__ import annotations

import pytest

from apps.audit.models import AuditEvent
from apps.registry.gates import (
    ALL_KINDS,
    PromotionRequest,
    promotion_gate_register,
    promotion_gate_unregister,
)
from apps.registry.models import ModelState
from apps.registry.services import PromotionRefused, version_transition

pytestmark = pytest.mark.django_db(transaction=True)

ACTION = "registry.widget.promote"
seen: list[PromotionRequest] = []


def refuse_small_widgets(request: PromotionRequest) -> list[str]:
    """A settings-level gate (named by its dotted path in the tests below)."""
    seen.append(request)
    return [] if request.context.get("size") == "large" else ["the widget is too small"]


def needs_approval(request: PromotionRequest) -> list[str]:
    seen.append(request)
    if request.context.get("approved_by"):
        return []
    return [f"{request.label} v{request.version.version} needs a second person's approval"]


@pytest.fixture(autouse=True)
def _clean():
    seen.clear()
    yield
    for label in (ALL_KINDS, "registry.widget"):
        promotion_gate_unregister(label, needs_approval)


def move(tenant, version, state, **context):
    return version_transition(
        tenant=tenant, version=version, state=state, action=ACTION, context=context
    )


def test_a_registered_gate_refuses_with_reasons_and_nothing_changes(tenant, make_widget):
    promotion_gate_register("registry.widget", needs_approval)
    champion = move(tenant, make_widget(tenant), ModelState.CHAMPION, approved_by="ann")
    challenger = make_widget(tenant)
    with pytest.raises(PromotionRefused) as refused:
        move(tenant, challenger, ModelState.CHAMPION)
    assert refused.value.reasons == ["registry.widget v2 needs a second person's approval"]
    champion.refresh_from_db()
    challenger.refresh_from_db()
    assert (champion.state, challenger.state) == (ModelState.CHAMPION, ModelState.DRAFT)
    event = AuditEvent.objects.filter(tenant=tenant, action=ACTION).order_by("seq").last()
    assert event.outcome == "error" and event.details["exception"] == "PromotionRefused"
    assert event.resource_id == str(challenger.pk)


def test_a_gate_sees_the_locked_version_the_move_and_the_context(tenant, make_widget):
    promotion_gate_register(ALL_KINDS, needs_approval)
    version = make_widget(tenant)
    move(tenant, version, ModelState.CHALLENGER, approved_by="ann")
    (request,) = seen
    assert (request.from_state, request.to_state) == (ModelState.DRAFT, ModelState.CHALLENGER)
    assert request.version.pk == version.pk and request.tenant == tenant
    assert request.context == {"approved_by": "ann"}
    assert request.label == "registry.widget"


def test_settings_name_gates_and_every_refusal_is_listed(tenant, make_widget, settings):
    path = f"{__name__}.refuse_small_widgets"
    settings.MODEL_REGISTRY_PROMOTION_GATES = {"registry.widget": [path]}
    promotion_gate_register(ALL_KINDS, needs_approval)
    with pytest.raises(PromotionRefused) as refused:
        move(tenant, make_widget(tenant), ModelState.CHAMPION)
    assert refused.value.reasons == [
        "registry.widget v1 needs a second person's approval",
        "the widget is too small",
    ]
    assert str(refused.value) == " ".join(refused.value.reasons)
    promoted = move(tenant, make_widget(tenant), ModelState.CHAMPION, size="large", approved_by="x")
    assert promoted.state == ModelState.CHAMPION


def test_gates_passed_by_the_kinds_service_run_first(tenant, make_widget):
    def kind_rule(request):
        return ["the kind's own rule refuses"]

    promotion_gate_register("registry.widget", needs_approval)
    with pytest.raises(PromotionRefused) as refused:
        version_transition(
            tenant=tenant,
            version=make_widget(tenant),
            state=ModelState.CHAMPION,
            action=ACTION,
            gates=(kind_rule,),
        )
    assert refused.value.reasons[0] == "the kind's own rule refuses"
    assert len(refused.value.reasons) == 2


def test_gates_of_another_kind_do_not_run(tenant, make_widget):
    promotion_gate_register("financial.other", needs_approval)
    try:
        assert move(tenant, make_widget(tenant), ModelState.CHAMPION).state == "champion"
    finally:
        promotion_gate_unregister("financial.other", needs_approval)
    assert seen == []


def test_retiring_passes_no_gate(tenant, make_widget):
    promotion_gate_register(ALL_KINDS, needs_approval)
    assert move(tenant, make_widget(tenant), ModelState.RETIRED).state == ModelState.RETIRED
    assert seen == []
