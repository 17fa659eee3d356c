"""django-axes lockout answer in the platform's error format (and audited)."""

from apps.core.errors import problem_response


def lockout_response(request, credentials, *args, **kwargs):
    from django.conf import settings

    from apps.audit.services import audit_event_record

    audit_event_record(
        tenant=None,
        action="accounts.login.locked_out",
        outcome="denied",
        status_code=429,
        resource_type="login",
        details={"reason": "too many failed logins"},
    )
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    response = problem_response(
        429,
        f"Too many failed logins: this account is locked for {minutes} minutes.",
        code="locked_out",
    )
    response["Retry-After"] = str(minutes * 60)
    return response
