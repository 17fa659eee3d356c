"""Role-matrix rows of this vertical, named by its declaration (``role_matrix``).

tests/access_matrix.py (the admin walker) and tests/test_role_matrix.py (the API) read them
through the declaration; every other role must be refused."""

from apps.accounts.roles import Role

ADM, AGT, ANL, AUD, CLN = Role.ADMIN, Role.AGENT, Role.ANALYST, Role.AUDITOR, Role.CLINICIAN
ADMIN, AGENT, ANALYST, AUDITOR, CLINICIAN = ADM, AGT, ANL, AUD, CLN

# model label -> {"view" | "add" | "change" | "delete": roles} (tests/access_matrix.py)
ADMIN_EXPECTED: dict[str, dict[str, set[str]]] = {
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
}

# (method, path) -> roles that may use it (tests/test_role_matrix.py)
API_EXPECTED: dict[tuple[str, str], set[str]] = {
    ("post", "/api/v1/medical/notes/"): {ADMIN, CLINICIAN},
    ("get", "/api/v1/medical/notes/"): {ADMIN, CLINICIAN},
    ("post", "/api/v1/medical/notes/fhir/"): {ADMIN, CLINICIAN},
    ("post", "/api/v1/medical/notes/hl7/"): {ADMIN, CLINICIAN},
    ("post", "/api/v1/medical/notes/fhir-document/"): {ADMIN, CLINICIAN},
    ("get", "/api/v1/medical/extractions/"): {ADMIN, CLINICIAN},
    ("get", "/api/v1/medical/findings/"): {ADMIN, CLINICIAN},
    ("get", "/api/v1/medical/batches/"): {ADMIN, CLINICIAN},
    ("post", "/api/v1/medical/batches/"): {ADMIN, CLINICIAN},
    ("get", "/api/v1/medical/corrections/"): {ADMIN, CLINICIAN},
    ("post", "/api/v1/medical/corrections/"): {ADMIN, CLINICIAN},
    ("get", "/api/v1/medical/corrections/report/"): {ADMIN, CLINICIAN},
}
