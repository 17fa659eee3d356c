"""The abstract versioned model: a numbered version of one family (the versions sharing a
tenant and, for most kinds, a name), in one state of the registry's state machine.

A kind of model (intent models, risk models, adapters) subclasses ``VersionedModel``, says
which fields make a family (``family_fields``), and puts ``versioned_constraints(...)`` in its
``Meta.constraints``: versions unique per family, at most one champion and one challenger per
family (conditional unique constraints, so the database refuses a second one even when two
promotions race). The ``registry.E001`` check refuses a kind that forgets them.
"""

from __future__ import annotations

import uuid
from typing import ClassVar

from django.db import models


class ModelState(models.TextChoices):
    DRAFT = "draft", "Draft"
    CHALLENGER = "challenger", "Challenger"
    CHAMPION = "champion", "Champion"
    RETIRED = "retired", "Retired"


# Which state may follow which. A champion or a challenger displaces (retires) the version
# holding that state in its family; a retired version stays retired unless its kind allows a
# comeback (adapters do).
TRANSITIONS: dict[str, frozenset[str]] = {
    ModelState.DRAFT: frozenset({ModelState.CHALLENGER, ModelState.CHAMPION, ModelState.RETIRED}),
    ModelState.CHALLENGER: frozenset({ModelState.CHAMPION, ModelState.RETIRED}),
    ModelState.CHAMPION: frozenset({ModelState.RETIRED}),
    ModelState.RETIRED: frozenset(),
}

# States held by at most one version per family.
EXCLUSIVE_STATES = (ModelState.CHAMPION, ModelState.CHALLENGER)

# States that pass the promotion hook (the gates) before a version may enter them.
PROMOTION_STATES = (ModelState.CHAMPION, ModelState.CHALLENGER)


def versioned_constraints(prefix: str, family: tuple[str, ...]) -> list[models.UniqueConstraint]:
    """The registry's constraints for a kind whose families are ``family`` (for example
    ``("tenant", "name")``): ``<prefix>_version``, ``<prefix>_one_champion`` and
    ``<prefix>_one_challenger``."""
    family = list(family)
    return [
        models.UniqueConstraint(fields=[*family, "version"], name=f"{prefix}_version"),
        *(
            models.UniqueConstraint(
                fields=family, condition=models.Q(state=state), name=f"{prefix}_one_{state}"
            )
            for state in EXCLUSIVE_STATES
        ),
    ]


class VersionedModel(models.Model):
    """One version of a family of models, owned by a tenant. Versions are numbered 1, 2, …
    per family by ``services.version_create``; the state changes only through
    ``services.version_transition`` (audited, through the promotion hook).

    Class attributes a kind may set:

    - ``family_fields``: the fields whose values make a family (the tenant always among them).
    - ``transitions``: the kind's state machine, a subset of the four states' graph.
    - ``state_words``: what the kind's API and audit trail call a state, where its word is not
      the registry's (adapters say ``promoted`` for champion).
    - ``stamped_states``: the states whose entry sets ``promoted_at``.
    """

    family_fields: ClassVar[tuple[str, ...]] = ("tenant", "name")
    transitions: ClassVar[dict[str, frozenset[str]]] = TRANSITIONS
    state_words: ClassVar[dict[str, str]] = {}
    stamped_states: ClassVar[frozenset[str]] = frozenset(EXCLUSIVE_STATES)

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    tenant = models.ForeignKey("accounts.Tenant", on_delete=models.CASCADE, related_name="+")
    version = models.PositiveIntegerField()
    state = models.CharField(max_length=16, choices=ModelState.choices, default=ModelState.DRAFT)
    job = models.ForeignKey(
        "jobs.Job", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    promoted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        abstract = True

    @classmethod
    def state_word(cls, state: str) -> str:
        """The kind's word for the registry ``state``."""
        return cls.state_words.get(state, state)

    @classmethod
    def state_from_word(cls, word: str) -> str:
        """The registry state the kind's ``word`` names (the inverse of ``state_word``)."""
        return {w: s for s, w in cls.state_words.items()}.get(word, word)

    @property
    def state_name(self) -> str:
        """This version's state in the kind's words (what its API shows)."""
        return self.state_word(self.state)

    def family(self) -> dict:
        """Lookup of this version's family: ``{"tenant_id": …, "name": …}``."""
        return {
            self._meta.get_field(name).attname: getattr(self, self._meta.get_field(name).attname)
            for name in self.family_fields
        }

    def transition_refusal(self, state: str) -> str:
        """Why this version may not move to ``state`` (the kind's words)."""
        return f"A {self.state_name} model cannot become {self.state_word(state)}."

    def audit_identity(self) -> tuple[str, str]:
        """``(model_name, model_revision)`` of this version's audit events."""
        return getattr(self, "name", self._meta.model_name), f"v{self.version}"

    def audit_reference(self) -> str:
        """How another version's audit event names this one (when it displaces it)."""
        return str(self.pk)
