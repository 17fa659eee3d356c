"""Role-matrix rows of this vertical, named by its declaration (``role_matrix``).

tests/access_matrix.py (the admin walker) and tests/test_role_matrix.py (the API) read them
through the declaration; every other role must be refused."""

from apps.accounts.roles import Role

ADM, AGT, ANL, AUD, CLN = Role.ADMIN, Role.AGENT, Role.ANALYST, Role.AUDITOR, Role.CLINICIAN
ADMIN, AGENT, ANALYST, AUDITOR, CLINICIAN = ADM, AGT, ANL, AUD, CLN

# model label -> {"view" | "add" | "change" | "delete": roles} (tests/access_matrix.py)
ADMIN_EXPECTED: dict[str, dict[str, set[str]]] = {
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
    "financial_risk.frauddecision": {
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
    # Admins change the settings (four eyes: platform staff only); nobody deletes them, which
    # would put the deployment's defaults back without a decision.
    "financial_risk.riskgovernancesettings": {
        "view": {ADM, ANL, AUD},
        "add": {ADM},
        "change": {ADM},
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
}

# (method, path) -> roles that may use it (tests/test_role_matrix.py)
API_EXPECTED: dict[tuple[str, str], set[str]] = {
    ("post", "/api/v1/risk/decisions/"): {ADMIN, ANALYST},
    ("get", "/api/v1/risk/decisions/"): {ADMIN, ANALYST, AUDITOR},
    ("post", "/api/v1/risk/models/"): {ADMIN, ANALYST},
    ("get", "/api/v1/risk/models/"): {ADMIN, ANALYST, AUDITOR, Role.MODEL_VALIDATOR},
    ("post", "/api/v1/risk/datasets/"): {ADMIN, ANALYST},
    ("post", "/api/v1/risk/batch-scorings/"): {ADMIN, ANALYST},
    ("get", "/api/v1/risk/findings/"): {ADMIN, ANALYST, AUDITOR},
    ("post", "/api/v1/risk/rings/detect/"): {ADMIN, ANALYST},
    ("get", "/api/v1/risk/accounts/"): {ADMIN, ANALYST, AUDITOR},
    ("get", "/api/v1/risk/governance-settings/current/"): {
        ADMIN,
        ANALYST,
        AUDITOR,
        Role.MODEL_VALIDATOR,
    },
    ("patch", "/api/v1/risk/governance-settings/update/"): {ADMIN},
    ("post", "/api/v1/risk/transactions/"): {ADMIN, ANALYST},
    ("get", "/api/v1/risk/transactions/"): {ADMIN, ANALYST},
    ("post", "/api/v1/risk/transactions/score"): {ADMIN, ANALYST},
    ("get", "/api/v1/risk/fraud-decisions/"): {ADMIN, ANALYST},
    ("post", "/api/v1/risk/fraud-models/"): {ADMIN, ANALYST},
    ("post", "/api/v1/risk/transaction-imports/"): {ADMIN, ANALYST},
    ("get", "/api/v1/risk/transaction-imports/"): {ADMIN, ANALYST},
}
