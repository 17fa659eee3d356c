"""The HTTP answer for each runtime error, shared by the runtime's own views and every
vertical view that calls a model (so no view imports another package's view module)."""

from __future__ import annotations

import math

from rest_framework import status
from rest_framework.exceptions import APIException, NotFound, ValidationError

from apps.core import errors as core_errors
from models_runtime import errors


class QueueFullError(APIException):
    status_code = status.HTTP_429_TOO_MANY_REQUESTS
    default_code = "queue_full"


class UpstreamError(APIException):
    status_code = status.HTTP_502_BAD_GATEWAY
    default_code = "model_backend_error"


# A time-out and an unavailable model answer as on every other endpoint (apps.core.errors: the
# same type, status and Retry-After whichever view called the model).
class ModelUnavailable(core_errors.ModelUnavailable):
    pass


class InferenceTimeout(core_errors.ModelTimeout):
    pass


def to_api_error(exc: errors.ModelsRuntimeError, input_field: str) -> APIException:
    """A runtime error as the HTTP answer a client can act on."""
    if isinstance(exc, errors.UnknownAdapter):
        return NotFound(str(exc))
    if isinstance(exc, errors.UnknownModel):
        return ValidationError({"model": [str(exc)]})
    if isinstance(exc, errors.InvalidInput):
        return ValidationError({input_field: [str(exc)]})
    if isinstance(exc, errors.QueueFull):
        error = QueueFullError(str(exc))
        error.wait = max(1, math.ceil(exc.retry_after))
        return error
    if isinstance(exc, errors.RequestTimeout):
        return InferenceTimeout(str(exc))
    if isinstance(exc, errors.ModelLoadError):
        return ModelUnavailable(str(exc))
    return UpstreamError(str(exc))
