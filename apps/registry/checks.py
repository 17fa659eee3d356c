"""System check ``registry.E001``/``E002``: every concrete versioned model declares the
registry's constraints on its family and a state machine over the registry's states, so a
new kind cannot ship without the database refusing a second champion."""

from __future__ import annotations

from django.apps import apps
from django.core import checks
from django.db import models

from .models import EXCLUSIVE_STATES, ModelState, VersionedModel


def _has_exclusive_constraint(model, state: str) -> bool:
    wanted = set(model.family_fields)
    return any(
        isinstance(constraint, models.UniqueConstraint)
        and set(constraint.fields) == wanted
        and constraint.condition == models.Q(state=state)
        for constraint in model._meta.constraints
    )


def versioned_model_errors(candidates) -> list[checks.CheckMessage]:
    """The registry's findings on ``candidates`` (model classes; others are ignored)."""
    errors: list[checks.CheckMessage] = []
    for model in candidates:
        if not issubclass(model, VersionedModel) or model._meta.abstract:
            continue
        for state in EXCLUSIVE_STATES:
            if not _has_exclusive_constraint(model, state):
                errors.append(
                    checks.Error(
                        f"{model._meta.label} has no unique constraint on "
                        f"{', '.join(model.family_fields)} with condition state={state.value!r}.",
                        hint="Add versioned_constraints(prefix, family_fields) to its Meta.",
                        obj=model,
                        id="registry.E001",
                    )
                )
        graph = set(model.transitions) | set().union(*model.transitions.values())
        unknown = sorted(graph - set(ModelState.values))
        if unknown:
            errors.append(
                checks.Error(
                    f"{model._meta.label}.transitions names unknown states {unknown}.",
                    obj=model,
                    id="registry.E002",
                )
            )
    return errors


@checks.register(checks.Tags.models)
def versioned_models_check(app_configs=None, **kwargs):
    configs = app_configs or apps.get_app_configs()
    return versioned_model_errors(m for config in configs for m in config.get_models())
