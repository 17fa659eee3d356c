"""Which roles read and write each data domain: the one table the authorization model reads.

Data that carries a domain (knowledge graphs today) is read and written by the roles listed
here, in the tenant the data belongs to. The platform declares "general" below; each vertical
declares its own domains in its vertical.py (``data_domains``), registered here when accounts is
ready (``domains_register_declared``), so the table grows with the installed verticals and
names none of them.
"""

from __future__ import annotations

from dataclasses import dataclass

from apps.core.verticals import Vertical, installed

from .roles import ALL_ROLES, Role

READ = "read"
WRITE = "write"


@dataclass(frozen=True)
class DomainRoles:
    """The roles that may read and write one domain's data."""

    read: frozenset[str]
    write: frozenset[str]


_DOMAINS: dict[str, DomainRoles] = {}


def domain_register(name: str, *, read, write) -> DomainRoles:
    """Declare (or redeclare) a domain. Writers always read; admins always do both."""
    write = frozenset(write) | {Role.ADMIN}
    entry = DomainRoles(read=frozenset(read) | write, write=write)
    _DOMAINS[name] = entry
    return entry


def domain_roles(name: str, verb: str) -> frozenset[str]:
    """The roles allowed ``verb`` (read or write) on ``name``; none for an unknown domain."""
    entry = _DOMAINS.get(name)
    if entry is None:
        return frozenset()
    return entry.write if verb == WRITE else entry.read


def domains() -> dict[str, DomainRoles]:
    """Every declared domain (for the README table and the tests)."""
    return dict(_DOMAINS)


def domains_register_declared(verticals: tuple[Vertical, ...] | None = None) -> None:
    """Register every installed vertical's data domains (idempotent)."""
    for vertical in installed() if verticals is None else verticals:
        for domain in vertical.data_domains:
            domain_register(domain.name, read=domain.read, write=domain.write)


# "general" is reference data every role reads and only admins curate. Auditors read every
# vertical's domain and write none (their declarations say so).
domain_register("general", read=ALL_ROLES, write={Role.ADMIN})
