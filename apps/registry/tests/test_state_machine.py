"""The registry's state machine on a throw-away kind: version numbering per family, the
allowed moves and the displacement they cause, the one-champion constraint in the database,
and the audit event of each move (the caller's action name)."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction

from apps.audit.models import AuditEvent
from apps.audit.services import audited
from apps.registry.models import ModelState
from apps.registry.services import (
    PromotionError,
    transition_apply,
    transition_check,
    version_transition,
)

pytestmark = pytest.mark.django_db(transaction=True)

ACTION = "registry.widget.promote"


def move(tenant, version, state):
    return version_transition(tenant=tenant, version=version, state=state, action=ACTION)


def test_versions_are_numbered_per_family_and_tenant(tenant, other_tenant, make_widget):
    assert [make_widget(tenant).version for _ in range(3)] == [1, 2, 3]
    assert make_widget(tenant, name="other").version == 1
    assert make_widget(other_tenant).version == 1
    assert make_widget(tenant).state == ModelState.DRAFT


def test_promotion_path_displaces_the_holder_and_is_audited(tenant, make_widget):
    first, second, third = make_widget(tenant), make_widget(tenant), make_widget(tenant)
    first = move(tenant, first, ModelState.CHAMPION)
    second = move(tenant, second, ModelState.CHALLENGER)
    third = move(tenant, third, ModelState.CHALLENGER)  # displaces the challenger
    third = move(tenant, third, ModelState.CHAMPION)  # displaces the champion
    states = {v.version: type(v).objects.get(pk=v.pk).state for v in (first, second, third)}
    assert states == {1: "retired", 2: "retired", 3: "champion"}
    assert third.promoted_at is not None

    events = AuditEvent.objects.filter(tenant=tenant, action=ACTION).order_by("seq")
    assert [(e.details["from"], e.details["to"], e.outcome) for e in events] == [
        ("draft", "champion", "success"),
        ("draft", "challenger", "success"),
        ("draft", "challenger", "success"),
        ("challenger", "champion", "success"),
    ]
    last = events.last()
    assert last.details["displaced"] == str(first.pk)
    assert events[2].details["displaced"] == str(second.pk)
    assert (last.resource_type, last.resource_id) == ("registry.widget", str(third.pk))
    assert (last.model_name, last.model_revision) == ("scorer", "v3")


def test_families_do_not_displace_each_other(tenant, other_tenant, make_widget):
    mine = move(tenant, make_widget(tenant), ModelState.CHAMPION)
    move(tenant, make_widget(tenant, name="other"), ModelState.CHAMPION)
    move(other_tenant, make_widget(other_tenant), ModelState.CHAMPION)
    mine.refresh_from_db()
    assert mine.state == ModelState.CHAMPION


@pytest.mark.parametrize(
    "path,target",
    [
        ([ModelState.RETIRED], ModelState.CHAMPION),
        ([ModelState.CHAMPION], ModelState.CHALLENGER),
        ([ModelState.CHAMPION], ModelState.DRAFT),
        ([ModelState.CHALLENGER], ModelState.CHALLENGER),
        ([], "boss"),
    ],
)
def test_forbidden_moves_are_refused_and_audited(tenant, make_widget, path, target):
    version = make_widget(tenant)
    for state in path:
        version = move(tenant, version, state)
    with pytest.raises(PromotionError):
        transition_check(version, target)
    with pytest.raises(PromotionError):
        move(tenant, version, target)
    assert type(version).objects.get(pk=version.pk).state == (path or [ModelState.DRAFT])[-1]
    refused = AuditEvent.objects.filter(tenant=tenant, action=ACTION).order_by("seq").last()
    assert refused.outcome == "error" and refused.details["exception"] == "PromotionError"


def test_the_database_holds_one_champion_and_one_challenger_per_family(tenant, widget_model):
    for number, state in enumerate((ModelState.CHAMPION, ModelState.CHALLENGER)):
        widget_model.objects.create(tenant=tenant, name="scorer", version=number, state=state)
        widget_model.objects.create(tenant=tenant, name="other", version=number, state=state)
        with pytest.raises(IntegrityError), transaction.atomic():
            widget_model.objects.create(tenant=tenant, name="scorer", version=9, state=state)
    with pytest.raises(IntegrityError), transaction.atomic():
        widget_model.objects.create(tenant=tenant, name="scorer", version=0)


def test_retiring_leaves_promoted_at_alone(tenant, make_widget):
    champion = move(tenant, make_widget(tenant), ModelState.CHAMPION)
    retired = move(tenant, champion, ModelState.RETIRED)
    assert retired.state == ModelState.RETIRED and retired.promoted_at == champion.promoted_at


def test_a_move_outside_an_audited_block_is_refused(tenant, make_widget):
    version = make_widget(tenant)
    with pytest.raises(RuntimeError, match="audited"):
        transition_apply(tenant=tenant, version=version, state=ModelState.CHAMPION)
    with audited(tenant=tenant, action="registry.widget.train"):
        moved, displaced = transition_apply(
            tenant=tenant, version=version, state=ModelState.CHAMPION
        )
    assert (moved.state, displaced) == (ModelState.CHAMPION, None)


def test_another_tenants_version_cannot_be_moved(tenant, other_tenant, make_widget):
    theirs = make_widget(other_tenant)
    with pytest.raises(type(theirs).DoesNotExist):
        move(tenant, theirs, ModelState.CHAMPION)
    theirs.refresh_from_db()
    assert theirs.state == ModelState.DRAFT
