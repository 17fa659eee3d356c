"""The platform's roles. A membership or an API key carries exactly one.

Administrators and auditors are the platform's own; every other persona (a risk analyst, a
clinician, a customer-service agent, a model validator) is declared by the vertical that needs it
(``roles`` in its vertical.py), so adding one edits no file here. The enum is built once, when
the models load, from the verticals among INSTALLED_APPS; each role's ``order`` keeps the
choices (which migrations and the OpenAPI schema record) in a fixed order.
"""

from django.conf import settings
from django.db import models

from apps.core.verticals import RoleSpec, declarations, declared_roles

PLATFORM_ROLES = (
    RoleSpec("admin", "Administrator", order=0),
    RoleSpec("auditor", "Auditor (read-only audit and reports)", order=1000),
)

Role = models.TextChoices(
    "Role",
    [
        (spec.attribute, (spec.value, spec.label))
        for spec in declared_roles(declarations(settings.INSTALLED_APPS), PLATFORM_ROLES)
    ],
    module=__name__,
)

ALL_ROLES = frozenset(Role.values)
