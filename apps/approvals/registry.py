"""Kinds of approval: the roles that may approve each, and the handler run on approval.

A higher layer registers its kinds when its app is ready (``apps.privacy`` registers
``privacy.erasure``; risk governance will register model promotion)::

    approval_kind_register("privacy.erasure", approver_roles={"admin"}, on_approve=start_job)

``on_approve(request)`` runs inside the approving transaction, after the state change; it
typically creates a job that ends with ``approval_mark_executed``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class ApprovalKind:
    name: str
    approver_roles: frozenset[str]
    on_approve: Callable | None = None
    on_reject: Callable | None = None


_kinds: dict[str, ApprovalKind] = {}


def approval_kind_register(
    name: str, *, approver_roles, on_approve: Callable | None = None, on_reject=None
) -> ApprovalKind:
    """Register (or replace, for tests and reloads) the kind ``name``."""
    if not approver_roles:
        raise ValueError(f"approval kind {name!r} needs at least one approver role")
    kind = ApprovalKind(name, frozenset(approver_roles), on_approve, on_reject)
    _kinds[name] = kind
    return kind


def approval_kind(name: str) -> ApprovalKind:
    """The registered kind ``name``; KeyError for an unknown kind."""
    return _kinds[name]
