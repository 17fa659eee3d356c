"""Role-matrix rows of this vertical, named by its declaration (``role_matrix``).

tests/access_matrix.py (the admin walker) and tests/test_role_matrix.py (the API) read them
through the declaration; every other role must be refused."""

from apps.accounts.roles import Role

ADM, AGT, ANL, AUD, CLN = Role.ADMIN, Role.AGENT, Role.ANALYST, Role.AUDITOR, Role.CLINICIAN
ADMIN, AGENT, ANALYST, AUDITOR, CLINICIAN = ADM, AGT, ANL, AUD, CLN

# model label -> {"view" | "add" | "change" | "delete": roles} (tests/access_matrix.py)
ADMIN_EXPECTED: dict[str, dict[str, set[str]]] = {
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
}

# (method, path) -> roles that may use it (tests/test_role_matrix.py)
API_EXPECTED: dict[tuple[str, str], set[str]] = {
    ("get", "/api/v1/adaptation/adapters/"): {ADMIN, ANALYST, AUDITOR},
    ("post", "/api/v1/adaptation/adapters/"): {ADMIN, ANALYST},
    ("get", "/api/v1/adaptation/training-sets/"): {ADMIN, ANALYST, AUDITOR},
    ("post", "/api/v1/adaptation/training-sets/"): {ADMIN, ANALYST},
}
