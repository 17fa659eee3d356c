"""What the customer-service API views share: the roles that read and write, and the answers
for a refused state change, invalid input and a failed model call."""

from __future__ import annotations

from rest_framework import status
from rest_framework.exceptions import APIException, ValidationError

from apps.accounts.roles import Role
from models_runtime import errors as runtime_errors
from models_runtime.api.errors import to_api_error

WRITERS = {Role.ADMIN, Role.AGENT}
READERS = {Role.ADMIN, Role.AGENT, Role.AUDITOR}
ROLES = {"read": READERS, "write": WRITERS}


class Conflict(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "conflict"


def invalid(exc) -> ValidationError:
    return ValidationError(getattr(exc, "errors", None) or {"non_field_errors": [str(exc)]})


def model_error(exc: runtime_errors.ModelsRuntimeError) -> APIException:
    return to_api_error(exc, "text")
