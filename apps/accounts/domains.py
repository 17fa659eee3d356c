"""Which roles read and write each data domain: the one table the authorization model reads.

Data that carries a domain (knowledge graphs today) is read and written by the roles listed
here, in the tenant the data belongs to. The entries below are the platform's current verticals;
a vertical's declaration adds or extends its own domain with ``domain_register`` at start-up,
so the table grows with the verticals and lives nowhere else.
"""

from __future__ import annotations

from dataclasses import dataclass

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


# The current verticals' domains. Auditors read every domain and write none; "general" is
# reference data every role reads and only admins curate.
domain_register("medical", read={Role.CLINICIAN, Role.AUDITOR}, write={Role.CLINICIAN})
domain_register("financial_risk", read={Role.ANALYST, Role.AUDITOR}, write={Role.ANALYST})
domain_register("customer_service", read={Role.AGENT, Role.AUDITOR}, write={Role.AGENT})
domain_register("general", read=ALL_ROLES, write={Role.ADMIN})
