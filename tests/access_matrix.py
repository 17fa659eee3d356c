"""Who may do what in the admin: the allowed matrix the admin walker reads
(tests/test_access_walker.py). One row per admin of tenant rows; for each verb the roles that may
do it on a row of the tenant they act for. Every other combination must be refused (403 or
404), another tenant's row is always 404, and a deactivated tenant reaches nothing.

A new admin without a row here fails the walker: write its row down when you add it. A
vertical's rows live in the module its declaration names (``role_matrix``), merged in below.
"""

from __future__ import annotations

from django.utils.module_loading import import_string

from apps.accounts.roles import Role
from apps.core.verticals import installed

ADM, AUD = "admin", "auditor"
# Every role the installed verticals declare (a new one, such as the model validator, included).
EVERY = set(Role.values)

# model label -> {"view" | "add" | "change" | "delete": roles}; "list" (the changelist) when it
# differs from "view" (opening the walker's row).
ADMIN_EXPECTED: dict[str, dict[str, set[str]]] = {
    "accounts.apikey": {"view": {ADM}, "add": set(), "change": {ADM}, "delete": {ADM}},
    "accounts.invitation": {"view": {ADM}, "add": set(), "change": set(), "delete": {ADM}},
    "accounts.membership": {"view": {ADM}, "add": set(), "change": {ADM}, "delete": {ADM}},
    "accounts.quota": {"view": {ADM}, "add": set(), "change": set(), "delete": set()},
    "accounts.tenant": {
        "view": EVERY,
        "add": set(),
        "change": {ADM},
        "delete": set(),
    },
    "accounts.usagecounter": {"view": {ADM, AUD}, "add": set(), "change": set(), "delete": set()},
    "audit.auditcheckpoint": {"view": {ADM, AUD}, "add": set(), "change": set(), "delete": set()},
    "audit.auditevent": {"view": {ADM, AUD}, "add": set(), "change": set(), "delete": set()},
    # Every role lists the jobs of its own domains; the walker's job is of an undeclared kind,
    # which only admins open (apps.jobs.access).
    "jobs.job": {
        "list": EVERY,
        "view": {ADM},
        "add": set(),
        "change": {ADM},
        "delete": {ADM},
    },
    "knowledge.edge": {
        "view": EVERY,
        "add": set(),
        "change": set(),
        "delete": set(),
    },
    "knowledge.graph": {
        "view": EVERY,
        "add": {ADM},
        "change": {ADM},
        "delete": {ADM},
    },
    "knowledge.node": {
        "view": EVERY,
        "add": set(),
        "change": set(),
        "delete": set(),
    },
    # Every role lists the alerts of the domains it reads; the walker's alert is of the
    # platform's "operations" domain, which auditors read (apps.notifications.alerts).
    "notifications.alert": {
        "list": EVERY,
        "view": {ADM, AUD},
        "add": set(),
        "change": set(),
        "delete": set(),
    },
    "notifications.delivery": {"view": {ADM, AUD}, "add": set(), "change": set(), "delete": set()},
    "notifications.destination": {
        "view": {ADM, AUD},
        "add": set(),
        "change": set(),
        "delete": set(),
    },
}


def vertical_rows(table: str) -> dict:
    """``table`` (ADMIN_EXPECTED or API_EXPECTED) of every installed vertical's role matrix."""
    rows: dict = {}
    for vertical in installed():
        if vertical.role_matrix:
            rows.update(import_string(f"{vertical.path(vertical.role_matrix)}.{table}"))
    return rows


ADMIN_EXPECTED.update(vertical_rows("ADMIN_EXPECTED"))
