"""Request id, body-size limit and the uniform error body for responses made outside DRF."""

from __future__ import annotations

import logging
import time
from urllib.parse import unquote_plus

from django.conf import settings
from django.db import connections

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


def request_duration_text(seconds: float) -> str:
    """A request's duration for its log line, never more than four digits: "1054 ms" below
    10 s, "15.3 s" below 1000 s, "1528 s" beyond. Five digits in a row ("15280 ms",
    "1054.1 ms") read as a number worth masking to the log filter's pre-check, which would
    send every slow request's line through Presidio. Parsed back by ``benchmarks.fraud``."""
    ms = round(seconds * 1000)
    if ms < 10_000:
        return f"{ms} ms"
    if seconds < 999.95:
        return f"{seconds:.1f} s"
    return f"{round(seconds)} s"


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
                "%s %s -> %s in %s",
                request.method,
                # Decoded, so that the masking filter recognises e-mail addresses and numbers
                # that the client percent-encoded.
                unquote_plus(request.get_full_path()),
                response.status_code,
                request_duration_text(time.monotonic() - started),
            )
            return response
        finally:
            reset_actor(actor_token)
            reset_request_id(token)


def _answered(execute, sql, params, many, context):
    """An execute wrapper: notes on the connection when it last answered a statement."""
    result = execute(sql, params, many, context)
    # perf_counter, not monotonic: a clock of its own (tests stand in for the request timer's)
    context["connection"].platform_answered_at = time.perf_counter()
    return result


class RecentDatabaseAnswerMiddleware:
    """Skip Django's per-request database health check (CONN_HEALTH_CHECKS: a ``SELECT 1``
    round trip before the request's first query) on a connection that answered a statement
    less than DATABASE_HEALTH_CHECK_IDLE_SECONDS ago.

    The check is there for connections the server dropped while they sat idle between requests;
    one that answered a moment ago on this thread is as good as checked, and on a busy server
    (a scoring request at 50 a second) the check was one of its few round trips to PostgreSQL.
    A connection that fails anyway is handled as before: the request gets 503 and Django drops
    the connection at the end of it. 0 turns the skip off."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.idle_s = float(getattr(settings, "DATABASE_HEALTH_CHECK_IDLE_SECONDS", 0) or 0)

    def __call__(self, request):
        if not self.idle_s:
            return self.get_response(request)
        now = time.perf_counter()
        for conn in connections.all(initialized_only=True):
            answered = getattr(conn, "platform_answered_at", None)
            if (
                conn.connection is not None
                and not conn.errors_occurred
                and answered is not None
                and now - answered < self.idle_s
            ):
                conn.health_check_done = True
        with connections["default"].execute_wrapper(_answered):
            return self.get_response(request)


class BodySizeLimitMiddleware:
    """413 for a declared body larger than DATA_UPLOAD_MAX_MEMORY_SIZE (a file upload:
    UPLOAD_MAX_BYTES), before reading it.

    Django itself only notices when the body is parsed, and then as a 400; a client deserves to
    know that the size, not the content, was the problem. Uploads (multipart/form-data) get the
    larger limit: Django streams their files to disk and each parser caps what they expand into.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        if request.META.get("CONTENT_TYPE", "").lower().startswith("multipart/form-data"):
            limit = getattr(settings, "UPLOAD_MAX_BYTES", None) or limit
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
