"""Request id, body-size limit and the uniform error body for responses made outside DRF."""

from __future__ import annotations

import logging
import time
from urllib.parse import unquote_plus

from django.conf import settings

from .context import (
    ANONYMOUS,
    clean_request_id,
    reset_actor,
    reset_request_id,
    set_actor,
    set_request_id,
)
from .errors import DATABASE_UNAVAILABLE, database_unavailable_response, problem_response

logger = logging.getLogger("apps.request")

REQUEST_ID_HEADER = "X-Request-ID"


class RequestIdMiddleware:
    """Accept ``X-Request-ID`` (or make one), bind it for logs and audit, echo it back."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request_id = clean_request_id(request.headers.get(REQUEST_ID_HEADER))
        request.request_id = request_id
        token = set_request_id(request_id)
        actor_token = set_actor(ANONYMOUS)
        started = time.monotonic()
        try:
            response = self.get_response(request)
            response[REQUEST_ID_HEADER] = request_id
            logger.info(
                # Whole milliseconds: "1054.1 ms" reads as a five-digit number to the masking
                # filter's pre-check and would send every slow request's line through Presidio.
                "%s %s -> %s in %d ms",
                request.method,
                # Decoded, so that the masking filter recognises e-mail addresses and numbers
                # that the client percent-encoded.
                unquote_plus(request.get_full_path()),
                response.status_code,
                round((time.monotonic() - started) * 1000),
            )
            return response
        finally:
            reset_actor(actor_token)
            reset_request_id(token)


class BodySizeLimitMiddleware:
    """413 for a declared body larger than DATA_UPLOAD_MAX_MEMORY_SIZE, before reading it.

    Django itself only notices when the body is parsed, and then as a 400; a client deserves to
    know that the size, not the content, was the problem.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return problem_response(400, "Content-Length header is not a number.")
        if limit is not None and length > limit:
            return problem_response(
                413,
                f"Request body of {length} bytes is over the limit of {limit} bytes.",
                code="payload_too_large",
            )
        return self.get_response(request)


class ApiErrorFormatMiddleware:
    """Give error responses produced outside DRF (405 from Django views, a 404 with DEBUG on,
    413s raised while parsing) the platform's one error body."""

    JSON_TYPES = ("application/json", "application/problem+json")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if response.status_code < 400 or getattr(response, "streaming", False):
            return response
        content_type = response.get("Content-Type", "")
        if content_type.startswith(self.JSON_TYPES):
            return response
        if request.path.startswith("/admin/") and response.status_code in (400, 403):
            return response  # the admin's own HTML form errors stay readable to a person
        detail = {
            404: f"No resource at {request.path}.",
            405: f"Method {request.method} is not allowed on {request.path}.",
        }.get(response.status_code, response.reason_phrase)
        new = problem_response(response.status_code, detail)
        for header in ("Allow", "Retry-After", "WWW-Authenticate", REQUEST_ID_HEADER):
            if header in response:
                new[header] = response[header]
        return new

    def process_exception(self, request, exception):
        """A database connection lost in a view outside DRF (admin, pages): 503, not 500."""
        if isinstance(exception, DATABASE_UNAVAILABLE):
            logger.warning("database unavailable: %s: %s", type(exception).__name__, exception)
            return database_unavailable_response()
        return None


class SecurityHeadersMiddleware:
    """Headers Django's SecurityMiddleware does not set: Permissions-Policy (features no page
    uses, off) and Cross-Origin-Resource-Policy (no other site may embed our responses)."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.permissions_policy = getattr(settings, "PERMISSIONS_POLICY", "")

    def __call__(self, request):
        response = self.get_response(request)
        if self.permissions_policy:
            response.headers.setdefault("Permissions-Policy", self.permissions_policy)
        response.headers.setdefault("Cross-Origin-Resource-Policy", "same-origin")
        return response
