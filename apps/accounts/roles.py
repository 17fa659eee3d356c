"""The platform's roles. A membership or an API key carries exactly one."""

from django.db import models


class Role(models.TextChoices):
    ADMIN = "admin", "Administrator"
    ANALYST = "analyst", "Risk analyst"
    CLINICIAN = "clinician", "Clinician"
    AGENT = "agent", "Customer-service agent"
    AUDITOR = "auditor", "Auditor (read-only audit and reports)"


ALL_ROLES = frozenset(Role.values)
