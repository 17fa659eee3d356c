"""Role-matrix rows of this vertical, named by its declaration (``role_matrix``).

tests/access_matrix.py (the admin walker) and tests/test_role_matrix.py (the API) read them
through the declaration; every other role must be refused."""

from apps.accounts.roles import Role

ADM, AGT, ANL, AUD, CLN = Role.ADMIN, Role.AGENT, Role.ANALYST, Role.AUDITOR, Role.CLINICIAN
ADMIN, AGENT, ANALYST, AUDITOR, CLINICIAN = ADM, AGT, ANL, AUD, CLN

# model label -> {"view" | "add" | "change" | "delete": roles} (tests/access_matrix.py)
ADMIN_EXPECTED: dict[str, dict[str, set[str]]] = {
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
}

# (method, path) -> roles that may use it (tests/test_role_matrix.py)
API_EXPECTED: dict[tuple[str, str], set[str]] = {
    ("post", "/api/v1/customer-service/conversations/"): {ADMIN, AGENT},
    ("get", "/api/v1/customer-service/conversations/"): {ADMIN, AGENT, AUDITOR},
    ("get", "/api/v1/customer-service/handoffs/"): {ADMIN, AGENT, AUDITOR},
    ("post", "/api/v1/customer-service/ratings/"): {ADMIN, AGENT},
    ("get", "/api/v1/customer-service/reviews/"): {ADMIN, AGENT, AUDITOR},
    ("get", "/api/v1/customer-service/intents/"): {ADMIN, AGENT, AUDITOR},
    ("post", "/api/v1/customer-service/intents/"): {ADMIN, AGENT},
    ("post", "/api/v1/customer-service/examples/import/"): {ADMIN, AGENT},
    ("post", "/api/v1/customer-service/models/"): {ADMIN, AGENT},
    ("post", "/api/v1/customer-service/models/predict/"): {ADMIN, AGENT},
    ("post", "/api/v1/customer-service/reports/"): {ADMIN, AGENT},
    ("get", "/api/v1/customer-service/assistant-settings/current/"): {ADMIN, AGENT, AUDITOR},
    ("patch", "/api/v1/customer-service/assistant-settings/update/"): {ADMIN},
    ("get", "/api/v1/customer-service/documents/"): {ADMIN, AGENT, AUDITOR},
    ("post", "/api/v1/customer-service/documents/"): {ADMIN, AGENT},
    ("get", "/api/v1/customer-service/connectors/"): {ADMIN, AGENT, AUDITOR},
    ("post", "/api/v1/customer-service/connectors/"): {ADMIN},
}
