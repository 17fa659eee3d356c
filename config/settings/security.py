"""Who may sign in and how, the audit chain's keys, the data lifecycle, browser security and
request limits."""

from datetime import timedelta
from pathlib import Path

from csp.constants import NONCE

from .core import BASE_DIR, SECRET_KEY, env

# ---------------------------------------------------------------------------- auth
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "admin:login"

# django-axes: lock an account+address pair after repeated failed logins.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
# Each parameter locks on its own: an account after AXES_FAILURE_LIMIT failures from any
# addresses, and an address after as many failures across any accounts (password spraying).
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_ENABLE_ACCESS_FAILURE_LOG = True
AXES_LOCKOUT_CALLABLE = "apps.accounts.lockout.lockout_response"
# Superusers always need a second factor (TOTP) in the admin; tenants require it for their staff
# with Tenant.require_staff_mfa.
MFA_REQUIRED_FOR_SUPERUSERS = env.bool("MFA_REQUIRED_FOR_SUPERUSERS", default=True)
OTP_TOTP_ISSUER = "Vertical AI platform"
# Failed API-key authentications per client address (429 past it, before any lookup or write).
AUTH_FAILURES_PER_ADDRESS = env("AUTH_FAILURES_PER_ADDRESS", default="30/min")

# API keys are hashed with HMAC-SHA256 under this key (not a slow password hash: it is checked
# on every request). Separate from SECRET_KEY so that rotating one does not revoke the other.
API_KEY_HASH_KEY = env("API_KEY_HASH_KEY", default="") or SECRET_KEY

# ---------------------------------------------------------------------------- audit
# Checkpoints of each tenant's audit chain are signed with this key; it must not live in the
# database, or whoever can rewrite the log could re-sign it too.
AUDIT_SIGNING_KEY = env("AUDIT_SIGNING_KEY", default="") or SECRET_KEY
# Per-tenant input digests are HMACs under keys derived from this one.
AUDIT_DIGEST_KEY = env("AUDIT_DIGEST_KEY", default="") or SECRET_KEY
AUDIT_CHECKPOINT_MINUTES = env.int("AUDIT_CHECKPOINT_MINUTES", default=15)
# Anchors outside the database (apps.audit.anchors): file:///path (a WORM volume) or
# s3://bucket/prefix (S3 Object Lock, compliance mode). Empty: no anchors; a warning at start,
# an error in `check --deploy`.
AUDIT_ANCHOR_URL = env("AUDIT_ANCHOR_URL", default="")
# A chain is checkpointed and anchored every this many events or seconds, whichever comes first.
AUDIT_ANCHOR_EVERY_EVENTS = env.int("AUDIT_ANCHOR_EVERY_EVENTS", default=1000)
AUDIT_ANCHOR_SECONDS = env.int("AUDIT_ANCHOR_SECONDS", default=60)
# audit_verify fails for events older than this that no anchor covers (anchoring stopped).
AUDIT_ANCHOR_MAX_LAG_SECONDS = env.int("AUDIT_ANCHOR_MAX_LAG_SECONDS", default=15 * 60)
AUDIT_ANCHOR_S3_ENDPOINT_URL = env("AUDIT_ANCHOR_S3_ENDPOINT_URL", default="")
AUDIT_ANCHOR_S3_RETENTION_DAYS = env.int("AUDIT_ANCHOR_S3_RETENTION_DAYS", default=7 * 365 + 2)
# Ed25519 keys signing checkpoints and anchors, "KEY_ID:SEED" (manage.py audit_keygen); the
# first signs. Retired keys' "KEY_ID:PUBLIC" keep old anchors verifiable. Empty: derived from
# AUDIT_SIGNING_KEY.
AUDIT_ED25519_KEYS = env.list("AUDIT_ED25519_KEYS", default=[])
AUDIT_ED25519_RETIRED_PUBLIC_KEYS = env.list("AUDIT_ED25519_RETIRED_PUBLIC_KEYS", default=[])
# Optional RFC 3161 time-stamps of anchor records (apps.audit.anchors.timestamps): the TSA's
# URL (each anchor is stamped before it is written), its certificate (PEM file) to verify the
# tokens with, and whether a record without a token fails audit_verify.
AUDIT_TSA_URL = env("AUDIT_TSA_URL", default="")
AUDIT_TSA_CERT = env("AUDIT_TSA_CERT", default="")
AUDIT_TSA_REQUIRED = env.bool("AUDIT_TSA_REQUIRED", default=False)
# The audit log's own retention (days): kept longest, never shorter than any other data kind's
# retention (a tenant's policy included); only whole anchored periods are deleted, the deletion
# signed, anchored and audited (apps.audit.services.retention).
AUDIT_RETENTION_DAYS = env.int("AUDIT_RETENTION_DAYS", default=10 * 365)
# Recording a denied request must never turn a 4xx into a 500: failures are logged. Tests raise.
AUDIT_RAISE_ERRORS = env.bool("AUDIT_RAISE_ERRORS", default=False)

# ---------------------------------------------------------------------------- data lifecycle
# Master keys wrapping the tenants' data keys, "ID:BASE64" (32 bytes); the first wraps, all
# unwrap (rotation). Empty: derived from SECRET_KEY. PRIVACY_KEY_BACKEND="vault" uses Vault's
# transit engine instead (VAULT_ADDR, VAULT_TOKEN, VAULT_TRANSIT_KEY; needs hvac).
PRIVACY_KEY_BACKEND = env("PRIVACY_KEY_BACKEND", default="env")
PRIVACY_MASTER_KEYS = env.list("PRIVACY_MASTER_KEYS", default=[])
VAULT_ADDR = env("VAULT_ADDR", default="")
VAULT_TOKEN = env("VAULT_TOKEN", default="")
VAULT_TRANSIT_KEY = env("VAULT_TRANSIT_KEY", default="platform")
VAULT_TRANSIT_MOUNT = env("VAULT_TRANSIT_MOUNT", default="transit")
VAULT_TIMEOUT_S = env.float("VAULT_TIMEOUT_S", default=10.0)
# Kinds of personal data, registered by the apps that hold them (apps.data_lifecycle.kinds):
# the platform's own (notification deliveries, the knowledge graphs) here, the verticals'
# appended by their declarations (config/settings/verticals.py).
PRIVACY_DATA_KINDS = env.list(
    "PRIVACY_DATA_KINDS",
    default=["apps.data_lifecycle.platform_kinds.DATA_KINDS", "knowledge.privacy.DATA_KINDS"],
)
# Platform retention defaults in days by data kind (a tenant's RetentionPolicy overrides).
PRIVACY_RETENTION_DAYS = env.dict("PRIVACY_RETENTION_DAYS", cast={"value": int}, default={})
PRIVACY_RETENTION_BATCH = env.int("PRIVACY_RETENTION_BATCH", default=1000)
PRIVACY_EXPORT_ROOT = Path(env("PRIVACY_EXPORT_ROOT", default=str(BASE_DIR / "var" / "exports")))

# ---------------------------------------------------------------------------- browser security
# Content security policy on every response (django-csp): scripts only from this origin or with
# the per-request nonce (`<script nonce="{{ request.csp_nonce }}">`), never inline otherwise;
# no plugins, no framing, forms post only here. Styles may be inline: the admin, Swagger UI
# and Redoc (the sidecar's templates) carry style attributes and <style> blocks. Redoc builds
# a web worker from a blob. No CDN anywhere: every script and stylesheet is served locally.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'", NONCE],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:", "blob:"],
        "font-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "worker-src": ["'self'", "blob:"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}
# Features no page of the platform uses, switched off for every page (apps.core.middleware).
PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=(), usb=()"
# CORS stays closed: no Access-Control-Allow-* header is ever sent (no django-cors-headers),
# so browsers refuse cross-origin calls with credentials; clients outside a browser use API keys.

# ---------------------------------------------------------------------------- request limits
# Bodies over this size are refused with 413 before they are read...
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DJANGO_MAX_BODY_BYTES", default=2 * 1024 * 1024)
# ...except file uploads (multipart/form-data): a data team's dataset of 10,000 rows is about
# 2.7 MB of CSV, and UPLOAD_MAX_ROWS allows 200,000. Django streams files over
# FILE_UPLOAD_MAX_MEMORY_SIZE to a temporary file, so a large upload does not sit in memory.
UPLOAD_MAX_BYTES = env.int("UPLOAD_MAX_BYTES", default=64 * 1024 * 1024)
FILE_UPLOAD_MAX_MEMORY_SIZE = DATA_UPLOAD_MAX_MEMORY_SIZE
CSRF_FAILURE_VIEW = "apps.core.errors.csrf_failure"
# Every 4xx body's messages go through this masker (personal data that clients send and DRF
# quotes back); empty turns it off.
ERROR_BODY_MASKER = env("ERROR_BODY_MASKER", default="apps.privacy.logmask.mask_for_log")
# Errors of lower layers that every endpoint answers as 504 ("timeout") or 503 ("unavailable")
# in the one error format (apps.core.errors.dependency_error); any TimeoutError is a 504.
API_DEPENDENCY_ERRORS = {
    "models_runtime.errors.RequestTimeout": "timeout",
    "models_runtime.errors.ModelLoadError": "unavailable",
    "models_runtime.errors.BackendError": "unavailable",
    "models_runtime.errors.QueueFull": "unavailable",
    "celery.exceptions.TimeoutError": "timeout",
    "kombu.exceptions.OperationalError": "unavailable",
}
# What an upload may expand into (apps.core.upload_guard): rows, columns, cells, pages and the
# bytes and members an archive inflates to. Every parser checks these; 413 names the limit.
UPLOAD_LIMITS = {
    "max_rows": env.int("UPLOAD_MAX_ROWS", default=200_000),
    "max_columns": env.int("UPLOAD_MAX_COLUMNS", default=500),
    "max_cell_chars": env.int("UPLOAD_MAX_CELL_CHARS", default=20_000),
    "max_pages": env.int("UPLOAD_MAX_PAGES", default=500),
    "max_decompressed_bytes": env.int("UPLOAD_MAX_DECOMPRESSED_BYTES", default=100 * 2**20),
    "max_archive_members": env.int("UPLOAD_MAX_ARCHIVE_MEMBERS", default=1_000),
    "max_compression_ratio": env.int("UPLOAD_MAX_COMPRESSION_RATIO", default=200),
}
