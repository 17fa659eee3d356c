"""Who may do what in the admin: the allowed matrix the admin walker reads
(tests/test_access_walker.py). One row per admin of tenant rows; for each verb the roles that may
do it on a row of the tenant they act for. Every other combination must be refused (403 or
404), another tenant's row is always 404, and a deactivated tenant reaches nothing.

A new admin without a row here fails the walker: write its row down when you add it.
"""

from __future__ import annotations

ADM, AGT, ANL, AUD, CLN = "admin", "agent", "analyst", "auditor", "clinician"

# model label -> {"view" | "add" | "change" | "delete": roles}; "list" (the changelist) when it
# differs from "view" (opening the walker's row).
ADMIN_EXPECTED: dict[str, dict[str, set[str]]] = {
    "accounts.apikey": {"view": {ADM}, "add": set(), "change": {ADM}, "delete": {ADM}},
    "accounts.invitation": {"view": {ADM}, "add": set(), "change": set(), "delete": {ADM}},
    "accounts.membership": {"view": {ADM}, "add": set(), "change": {ADM}, "delete": {ADM}},
    "accounts.quota": {"view": {ADM}, "add": set(), "change": set(), "delete": set()},
    "accounts.tenant": {
        "view": {ADM, AGT, ANL, AUD, CLN},
        "add": set(),
        "change": {ADM},
        "delete": set(),
    },
    "accounts.usagecounter": {"view": {ADM, AUD}, "add": set(), "change": set(), "delete": set()},
    "adaptation.adapterversion": {
        "view": {ADM, ANL, AUD},
        "add": set(),
        "change": set(),
        "delete": set(),
    },
    "adaptation.trainingset": {
        "view": {ADM, ANL, AUD},
        "add": set(),
        "change": set(),
        "delete": set(),
    },
    "audit.auditcheckpoint": {"view": {ADM, AUD}, "add": set(), "change": set(), "delete": set()},
    "audit.auditevent": {"view": {ADM, AUD}, "add": set(), "change": set(), "delete": set()},
    "customer_service.assistantsettings": {
        "view": {ADM, AGT, AUD},
        "add": {ADM},
        "change": {ADM},
        "delete": {ADM},
    },
    "customer_service.connector": {
        "view": {ADM, AGT, AUD},
        "add": set(),
        "change": set(),
        "delete": set(),
    },
    "customer_service.document": {
        "view": {ADM, AGT, AUD},
        "add": set(),
        "change": set(),
        "delete": set(),
    },
    "customer_service.conversation": {
        "view": {ADM, AGT, AUD},
        "add": set(),
        "change": set(),
        "delete": set(),
    },
    "customer_service.demoorder": {
        "view": {ADM, AGT, AUD},
        "add": {ADM, AGT},
        "change": {ADM, AGT},
        "delete": {ADM, AGT},
    },
    "customer_service.handoff": {
        "view": {ADM, AGT, AUD},
        "add": set(),
        "change": {ADM, AGT},
        "delete": set(),
    },
    "customer_service.intent": {
        "view": {ADM, AGT, AUD},
        "add": {ADM, AGT},
        "change": {ADM, AGT},
        "delete": {ADM, AGT},
    },
    "customer_service.intentmodel": {
        "view": {ADM, AGT, AUD},
        "add": set(),
        "change": set(),
        "delete": set(),
    },
    "customer_service.rating": {
        "view": {ADM, AGT, AUD},
        "add": set(),
        "change": set(),
        "delete": set(),
    },
    "customer_service.ratingsreport": {
        "view": {ADM, AGT, AUD},
        "add": set(),
        "change": set(),
        "delete": set(),
    },
    "customer_service.reviewitem": {
        "view": {ADM, AGT, AUD},
        "add": set(),
        "change": {ADM},
        "delete": {ADM},
    },
    "customer_service.trainingexample": {
        "view": {ADM, AGT, AUD},
        "add": set(),
        "change": set(),
        "delete": set(),
    },
    "financial_risk.batchscoring": {
        "view": {ADM, ANL, AUD},
        "add": set(),
        "change": set(),
        "delete": set(),
    },
    "financial_risk.dataset": {
        "view": {ADM, ANL, AUD},
        "add": set(),
        "change": set(),
        "delete": set(),
    },
    "financial_risk.decision": {
        "view": {ADM, ANL, AUD},
        "add": set(),
        "change": set(),
        "delete": set(),
    },
    "financial_risk.fraudring": {
        "view": {ADM, ANL, AUD},
        "add": set(),
        "change": set(),
        "delete": set(),
    },
    "financial_risk.monitoringfinding": {
        "view": {ADM, ANL, AUD},
        "add": set(),
        "change": set(),
        "delete": set(),
    },
    "financial_risk.riskaccount": {
        "view": {ADM, ANL, AUD},
        "add": set(),
        "change": set(),
        "delete": set(),
    },
    "financial_risk.riskmodel": {
        "view": {ADM, ANL, AUD},
        "add": set(),
        "change": set(),
        "delete": set(),
    },
    "financial_risk.transaction": {
        "view": {ADM, ANL, AUD},
        "add": set(),
        "change": set(),
        "delete": set(),
    },
    # Every role lists the jobs of its own domains; the walker's job is of an undeclared kind,
    # which only admins open (apps.jobs.access).
    "jobs.job": {
        "list": {ADM, AGT, ANL, AUD, CLN},
        "view": {ADM},
        "add": set(),
        "change": {ADM},
        "delete": {ADM},
    },
    "knowledge.edge": {
        "view": {ADM, AGT, ANL, AUD, CLN},
        "add": set(),
        "change": set(),
        "delete": set(),
    },
    "knowledge.graph": {
        "view": {ADM, AGT, ANL, AUD, CLN},
        "add": {ADM},
        "change": {ADM},
        "delete": {ADM},
    },
    "knowledge.node": {
        "view": {ADM, AGT, ANL, AUD, CLN},
        "add": set(),
        "change": set(),
        "delete": set(),
    },
    "medical_records.checkruleset": {
        "view": {ADM, CLN},
        "add": {ADM, CLN},
        "change": {ADM, CLN},
        "delete": {ADM, CLN},
    },
    "medical_records.correction": {
        "view": {ADM, CLN},
        "add": {ADM, CLN},
        "change": set(),
        "delete": set(),
    },
    "medical_records.extraction": {
        "view": {ADM, CLN},
        "add": set(),
        "change": set(),
        "delete": {ADM},
    },
    "medical_records.finding": {"view": {ADM, CLN}, "add": set(), "change": set(), "delete": {ADM}},
    "medical_records.note": {"view": {ADM, CLN}, "add": set(), "change": set(), "delete": {ADM}},
    "medical_records.notebatch": {
        "view": {ADM, CLN},
        "add": set(),
        "change": set(),
        "delete": {ADM},
    },
    "medical_records.reidentificationgrant": {
        "view": {ADM, CLN},
        "add": {ADM},
        "change": {ADM},
        "delete": {ADM},
    },
    "notifications.delivery": {"view": {ADM, AUD}, "add": set(), "change": set(), "delete": set()},
    "notifications.destination": {
        "view": {ADM, AUD},
        "add": set(),
        "change": set(),
        "delete": set(),
    },
}
