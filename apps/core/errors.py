"""One error body for every 4xx and 5xx, API or not:

    {"type": "...", "title": "...", "status": 400, "detail": "...", "errors": {"field": ["..."]},
     "request_id": "..."}

Modelled on RFC 9457 (problem details). DRF exceptions go through ``api_exception_handler``;
Django's own 400/403/404/500 pages, CSRF failures and errors raised outside DRF (405, 413) are
rewritten by ``ApiErrorFormatMiddleware`` and the handlers below.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from http import HTTPStatus

from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.db import InterfaceError, OperationalError
from django.http import Http404, JsonResponse
from django.utils.module_loading import import_string
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from .context import get_request_id

logger = logging.getLogger(__name__)

ERROR_TYPE_BASE = "https://vertical-ai.dev/errors/"


def problem(status_code: int, detail, *, errors=None, code: str | None = None) -> dict:
    """Build the error body. ``code`` names the kind of error (``not_found``, ``throttled``…)."""
    title = HTTPStatus(status_code).phrase
    body = {
        "type": ERROR_TYPE_BASE + (code or title.lower().replace(" ", "_").replace("-", "_")),
        "title": title,
        "status": status_code,
        "detail": str(detail),
        "errors": errors or {},
        "request_id": get_request_id(),
    }
    return body


def problem_response(status_code: int, detail, *, errors=None, code=None) -> JsonResponse:
    return JsonResponse(
        problem(status_code, detail, errors=errors, code=code),
        status=status_code,
        content_type="application/problem+json",
    )


def _flatten(detail) -> dict[str, list[str]]:
    """DRF's nested ValidationError detail as {"field.sub": ["message", ...]}."""
    out: dict[str, list[str]] = {}

    def walk(value, path):
        if isinstance(value, dict):
            for key, item in value.items():
                walk(item, f"{path}.{key}" if path else str(key))
        elif isinstance(value, list) and value and not all(isinstance(v, str) for v in value):
            for index, item in enumerate(value):
                walk(item, f"{path}.{index}" if path else str(index))
        else:
            items = value if isinstance(value, list) else [value]
            out.setdefault(path or "non_field_errors", []).extend(str(v) for v in items)

    walk(detail, "")
    return out


def api_exception_handler(exc, context):
    """DRF's handler, reshaped into the one error body; denied requests are audited."""
    if isinstance(exc, RequestDataTooBig):
        exc = PayloadTooLarge()
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    elif isinstance(exc, SuspiciousOperation):
        exc = exceptions.ParseError(str(exc) or "Suspicious request.")
    elif isinstance(exc, DATABASE_UNAVAILABLE):
        logger.warning("database unavailable: %s: %s", type(exc).__name__, exc)
        exc = DatabaseUnavailable()
    elif (mapped := dependency_error(exc)) is not None:
        logger.warning("dependency refused the request: %s: %s", type(exc).__name__, exc)
        exc = mapped

    response = drf_exception_handler(exc, context)
    if response is None:
        return None  # a real server error: Django's 500 handler answers in the same format

    code = getattr(exc, "default_code", None)
    if isinstance(exc, exceptions.ValidationError):
        errors = _flatten(exc.detail)
        detail = "Invalid input: " + "; ".join(
            f"{field}: {' '.join(msgs)}" for field, msgs in errors.items()
        )
        body = problem(response.status_code, detail, errors=errors, code="validation_error")
    else:
        detail = exc.detail if isinstance(exc, exceptions.APIException) else str(exc)
        if isinstance(detail, (dict, list)):
            body = problem(response.status_code, "Invalid request.", errors=_flatten(detail))
        else:
            body = problem(response.status_code, detail, code=code)
    if 400 <= response.status_code < 500:
        body["detail"] = mask_error_text(body["detail"])
        body["errors"] = {
            field: [mask_error_text(m) for m in messages]
            for field, messages in body["errors"].items()
        }
    if isinstance(exc, exceptions.Throttled) and exc.wait is not None:
        body["retry_after_s"] = int(exc.wait)
    if isinstance(exc, DatabaseUnavailable):
        response["Retry-After"] = "1"
    if isinstance(exc, (ModelTimeout, ModelUnavailable)):
        response["Retry-After"] = str(exc.retry_after_s)
    if getattr(exc, "quota", None):
        body["quota"] = exc.quota

    # The detail can echo what the client sent (DRF quotes invalid values): the masking filter
    # on the log handlers removes any personal data from it.
    logger.info("request refused with %s: %s", response.status_code, body["detail"])
    new = Response(body, status=response.status_code, headers=dict(response.items()))
    new.content_type = "application/problem+json"
    _audit_denied(context.get("request"), response.status_code, exc)
    return new


@functools.cache
def _error_masker():
    return import_string(settings.ERROR_BODY_MASKER) if settings.ERROR_BODY_MASKER else None


def mask_error_text(text: str) -> str:
    """A 4xx message with personal data masked (DRF quotes what the client sent, and clients
    send names and numbers): through the masker the log lines use (ERROR_BODY_MASKER, a dotted
    path, since this module sits below apps.privacy). If masking fails, the text is withheld."""
    masker = _error_masker()
    if masker is None or not text:
        return text
    try:
        return masker(text)
    except Exception:
        logger.exception("could not mask an error message; withheld")
        return "<withheld>"


# Who records a refused request. apps.core sits below apps.audit in the import contract, so the
# audit app registers its recorder here when it is ready (AuditConfig.ready) instead of this
# module importing it; the recorder counts refusals per source and minute, at most two rows each
# (apps.audit.services.denials).
_denial_recorders: list[Callable[..., None]] = []


def denial_recorder_register(recorder: Callable[..., None]) -> None:
    """Have ``recorder(request=, status_code=, reason=)`` called for every 401/403/404/429 the
    API answers; registering the same recorder twice records once."""
    if recorder not in _denial_recorders:
        _denial_recorders.append(recorder)


def _audit_denied(request, status_code: int, exc) -> None:
    if request is None or status_code not in (401, 403, 404, 429):
        return
    for recorder in _denial_recorders:
        recorder(request=request, status_code=status_code, reason=str(exc))


# A lost or terminated database connection, a deadlock or a serialization failure: the request
# did nothing lasting (no ATOMIC_REQUESTS, but each service writes in one transaction) and the
# next one gets a fresh connection (CONN_HEALTH_CHECKS), so the client should retry: 503.
DATABASE_UNAVAILABLE = (OperationalError, InterfaceError)


class DatabaseUnavailable(exceptions.APIException):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = "The database connection was lost; retry the request."
    default_code = "database_unavailable"


def database_unavailable_response():
    """The 503 for a database error raised outside DRF (ApiErrorFormatMiddleware)."""
    response = problem_response(
        503, DatabaseUnavailable.default_detail, code=DatabaseUnavailable.default_code
    )
    response["Retry-After"] = "1"
    return response


class ModelTimeout(exceptions.APIException):
    retry_after_s = 1
    status_code = status.HTTP_504_GATEWAY_TIMEOUT
    default_detail = "The model did not answer in time; retry the request."
    default_code = "model_timeout"


class ModelUnavailable(exceptions.APIException):
    retry_after_s = 1
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = "The model is unavailable right now; retry the request."
    default_code = "model_unavailable"


_KINDS = {"timeout": ModelTimeout, "unavailable": ModelUnavailable}


@functools.cache
def _dependency_classes() -> tuple[tuple[type, type], ...]:
    """API_DEPENDENCY_ERRORS resolved to classes (a path that no longer imports is skipped, so
    a renamed error class degrades to a 500, never to a start-up failure)."""
    pairs = []
    for path, kind in settings.API_DEPENDENCY_ERRORS.items():
        try:
            pairs.append((import_string(path), _KINDS[kind]))
        except ImportError:
            logger.warning("API_DEPENDENCY_ERRORS names %s, which does not import", path)
    return tuple(pairs)


def dependency_error(exc) -> exceptions.APIException | None:
    """A model time-out or an unavailable model (or broker) as its 504/503 in the one error
    format, on every endpoint, whichever layer raised it (settings.API_DEPENDENCY_ERRORS;
    any TimeoutError is a 504)."""
    for cls, answer in _dependency_classes():
        if isinstance(exc, cls):
            error = answer()
            break
    else:
        if not isinstance(exc, TimeoutError):
            return None
        error = ModelTimeout()
    retry_after = getattr(exc, "retry_after", None)
    error.retry_after_s = int(retry_after) if retry_after else 1
    return error


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "Request body is larger than the server accepts."
    default_code = "payload_too_large"


# Django-level handlers (config/urls.py names them) --------------------------------------------


def bad_request(request, exception=None):
    return problem_response(400, "Bad request.")


def permission_denied(request, exception=None):
    return problem_response(403, "You do not have permission to access this resource.")


def page_not_found(request, exception=None):
    return problem_response(404, f"No resource at {request.path}.", code="not_found")


def server_error(request):
    return problem_response(500, "Internal server error; the request id identifies it in logs.")


def csrf_failure(request, reason=""):
    return problem_response(403, f"CSRF verification failed: {reason}", code="csrf_failed")
