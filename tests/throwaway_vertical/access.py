"""The throw-away vertical's role-matrix rows (its declaration's ``role_matrix``)."""

from apps.accounts.roles import Role

ADMIN_EXPECTED: dict = {}
API_EXPECTED = {
    ("get", "/api/v1/throwaway/widgets/"): {Role.ADMIN, Role.ANALYST, Role.AUDITOR},
    ("post", "/api/v1/throwaway/widgets/"): {Role.ADMIN, Role.ANALYST},
}
