"""django-axes lockout answer in the platform's error format, audited as a refusal (counted
per address and minute like every other refusal: apps.audit.services.denials)."""

from django.conf import settings

from apps.audit.services.denials import denial_record
from apps.core.errors import problem_response


def lockout_response(request, credentials, *args, **kwargs):
    denial_record(
        request=request,
        status_code=429,
        reason="too many failed logins",
        action="accounts.login.locked_out",
    )
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    response = problem_response(
        429,
        f"Too many failed logins: locked for {minutes} minutes.",
        code="locked_out",
    )
    response["Retry-After"] = str(minutes * 60)
    return response
