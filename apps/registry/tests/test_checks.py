"""The ``registry.E001``/``E002`` checks: a kind of versioned model without the registry's
constraints, or with a state machine naming unknown states, is reported; the project's kinds
pass."""

from __future__ import annotations

from django.db import models
from django.test.utils import isolate_apps

from apps.registry.checks import versioned_model_errors, versioned_models_check
from apps.registry.models import ModelState, VersionedModel, versioned_constraints


def test_the_projects_versioned_models_pass():
    assert versioned_models_check() == []


@isolate_apps("apps.registry")
def test_a_kind_without_the_constraints_or_with_unknown_states_is_reported():
    class Bare(VersionedModel):
        name = models.CharField(max_length=10)

        class Meta:
            app_label = "registry"

    class Odd(VersionedModel):
        family_fields = ("tenant",)
        transitions = {ModelState.DRAFT: frozenset({"shipped"})}

        class Meta:
            app_label = "registry"
            constraints = versioned_constraints("odd", ("tenant",))

    class Good(VersionedModel):
        name = models.CharField(max_length=10)

        class Meta:
            app_label = "registry"
            constraints = versioned_constraints("good", ("tenant", "name"))

    errors = versioned_model_errors([Bare, Odd, Good])
    assert [(e.id, e.obj) for e in errors] == [
        ("registry.E001", Bare),
        ("registry.E001", Bare),
        ("registry.E002", Odd),
    ]
    assert "state='champion'" in errors[0].msg
