"""The promotion hook: gates that may refuse a version entering the champion or challenger
state, with reasons.

A gate is a callable ``gate(request: PromotionRequest) -> Iterable[str]`` returning the reasons
it refuses (nothing, or an empty list, to let the promotion through). Gates come from three
places, run in this order:

1. the ``gates`` a kind's own service passes for its built-in rule (an adapter must have
   improved on its validation pairs);
2. gates registered in code with ``promotion_gate_register(label, gate)``, where ``label`` is
   a model's ``app_label.modelname`` or ``"*"`` for every kind (a higher layer registers them
   when its app is ready);
3. dotted paths in the ``MODEL_REGISTRY_PROMOTION_GATES`` setting, a mapping of the same
   labels to lists of paths (a deployment adds a gate without code).

Every gate runs, so a refusal lists all reasons at once. Gates run inside the transition's
transaction, after the version's row is locked: a gate may read the family's champion (for a
comparison) and record its result, and its writes roll back with a refused promotion.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.conf import settings
from django.utils.module_loading import import_string

from apps.core.context import Actor

from .models import VersionedModel

ALL_KINDS = "*"


@dataclass(frozen=True)
class PromotionRequest:
    """What a gate sees: the locked version, the state it leaves and the one it asks for,
    who asks (the actor of the audit event) and the caller's ``context`` (free-form: an
    approval request, a justification for an override)."""

    tenant: object
    version: VersionedModel
    from_state: str
    to_state: str
    actor: Actor | None = None
    context: dict = field(default_factory=dict)

    @property
    def label(self) -> str:
        return self.version._meta.label_lower


Gate = Callable[[PromotionRequest], Iterable[str] | None]

_registered: dict[str, list[Gate]] = {}


def promotion_gate_register(label: str, gate: Gate) -> Gate:
    """Run ``gate`` before every promotion of the kind ``label`` (``"*"``: every kind).
    Registering the same gate twice for a label keeps one."""
    gates = _registered.setdefault(label.lower(), [])
    if gate not in gates:
        gates.append(gate)
    return gate


def promotion_gate_unregister(label: str, gate: Gate) -> None:
    """Stop running ``gate`` for ``label`` (tests, and a plug-in switched off)."""
    gates = _registered.get(label.lower(), [])
    if gate in gates:
        gates.remove(gate)


def promotion_gates(label: str) -> list[Gate]:
    """The registered and configured gates of the kind ``label``, in running order."""
    configured = getattr(settings, "MODEL_REGISTRY_PROMOTION_GATES", {}) or {}
    gates: list[Gate] = []
    for key in (ALL_KINDS, label):
        gates.extend(_registered.get(key, []))
    for key in (ALL_KINDS, label):
        gates.extend(import_string(path) for path in configured.get(key, []))
    return gates


def promotion_refusals(request: PromotionRequest, extra: Iterable[Gate] = ()) -> list[str]:
    """Every reason the gates give to refuse ``request`` (an empty list lets it through)."""
    reasons: list[str] = []
    for gate in [*extra, *promotion_gates(request.label)]:
        reasons.extend(str(reason) for reason in gate(request) or ())
    return reasons
