"""Production: base.py plus the hardening that the environment must not be able to switch off.

Everything else (database, broker, hosts, keys) comes from the environment; missing secrets are
an error at start, never a silent default.
"""

from .base import *  # noqa: F403
from .base import env

DEBUG = False
SECRET_KEY = env("DJANGO_SECRET_KEY")
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS")
API_KEY_HASH_KEY = env("API_KEY_HASH_KEY", default=SECRET_KEY)
AUDIT_SIGNING_KEY = env("AUDIT_SIGNING_KEY", default=SECRET_KEY)
AUDIT_DIGEST_KEY = env("AUDIT_DIGEST_KEY", default=SECRET_KEY)

# ---------------------------------------------------------------------------- exposed surface
# Metrics need the bearer token (or a separate listen address); the schema and docs need
# credentials unless the environment says otherwise (docs/security.md).
METRICS_PUBLIC = env.bool("METRICS_PUBLIC", default=False)
API_DOCS = env("API_DOCS", default="authenticated")

# ---------------------------------------------------------------------------- HTTPS
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
# The load balancer probes these over plain HTTP.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$"]
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SESSION_COOKIE_HTTPONLY = True
SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

# Only the JSON renderer: no browsable API in production.
REST_FRAMEWORK["DEFAULT_RENDERER_CLASSES"] = ["rest_framework.renderers.JSONRenderer"]  # noqa: F405
