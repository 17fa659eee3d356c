"""Settings shared by every environment. Everything that differs between machines comes from the
environment through one django-environ ``env`` (cookiecutter-django); production.py only adds what
the environment must not be able to turn off.

Zero-setup default: without DATABASE_URL the platform uses SQLite, without REDIS_URL tasks run
in-process and the cache is local memory. With them: PostgreSQL, Redis and separate workers.
"""

import os
from datetime import timedelta
from pathlib import Path

import environ
from celery.schedules import crontab
from csp.constants import NONCE

# Presidio probes CUDA at import by putting a tensor on the GPU; in web and Celery parent
# processes, which fork afterwards, that must not happen (ARCHITECTURE.md: CUDA and fork).
os.environ.setdefault("PRESIDIO_DEVICE", "cpu")
# Models load from local paths and installed packages; a hub download happens only where an
# operator sets HF_HUB_OFFLINE=0 for a deployment that names hub models.
os.environ.setdefault("HF_HUB_OFFLINE", "1")

BASE_DIR = Path(__file__).resolve().parents[2]
env = environ.Env()

# ---------------------------------------------------------------------------- core
DEBUG = env.bool("DJANGO_DEBUG", default=False)
SECRET_KEY = env("DJANGO_SECRET_KEY", default="")
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# ---------------------------------------------------------------------------- apps
DJANGO_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
]
THIRD_PARTY_APPS = [
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_celery_beat",
    "django_prometheus",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
]
LOCAL_APPS = [
    "apps.core",
    "apps.privacy",
    "apps.accounts",
    "apps.audit",
    # Four-eyes approvals (above accounts and audit, below jobs and the verticals).
    "apps.approvals",
    "apps.jobs",
    "apps.registry",
    "models_runtime",
    "knowledge",
    "apps.financial_risk",
    "apps.notifications",
    "apps.customer_service",
    "apps.medical_records",
    "apps.adaptation",
    "apps.operations",
]
INSTALLED_APPS = DJANGO_APPS + THIRD_PARTY_APPS + LOCAL_APPS

MIDDLEWARE = [
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    # Request count and latency per vertical across processes (the operator console).
    "apps.operations.recorder.RequestMetricsMiddleware",
    "apps.core.middleware.RequestIdMiddleware",
    "apps.core.middleware.BodySizeLimitMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "apps.core.middleware.SecurityHeadersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Second factor (django-otp): marks verified sessions; the admin refuses staff without it
    # where their tenant or superuser status requires it (apps.accounts.mfa).
    "django_otp.middleware.OTPMiddleware",
    "apps.accounts.mfa.AdminSecondFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "apps.core.middleware.ApiErrorFormatMiddleware",
    # axes must come last so that it sees the outcome of authentication.
    "axes.middleware.AxesMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
]

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                # The admin's tenant switcher (apps.accounts.admin_tenant).
                "apps.accounts.admin_tenant.admin_tenant_context",
            ],
        },
    },
]

# ---------------------------------------------------------------------------- database
# No DATABASE_URL: SQLite next to the code, the zero-setup default for `make run`.
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DJANGO_CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
USING_POSTGRES = DATABASES["default"]["ENGINE"].endswith("postgresql")
if not USING_POSTGRES:
    # SQLite waits for a concurrent writer instead of failing at once with "database is locked".
    DATABASES["default"].setdefault("OPTIONS", {})["timeout"] = 20

# ---------------------------------------------------------------------------- cache and broker
REDIS_URL = env("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "apps.core.cache.SharedClientRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env("DJANGO_CACHE_PREFIX", default="vap"),
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

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
# Recording a denied request must never turn a 4xx into a 500: failures are logged. Tests raise.
AUDIT_RAISE_ERRORS = env.bool("AUDIT_RAISE_ERRORS", default=False)
# Fernet key (urlsafe base64, 32 bytes) for the medical pseudonym mapping; empty: derived
# from the secret key (apps/medical_records/services/identity.py).
MEDICAL_RECORDS_ENCRYPTION_KEY = env("MEDICAL_RECORDS_ENCRYPTION_KEY", default="")

# ---------------------------------------------------------------------------- data lifecycle
# Master keys wrapping the tenants' data keys, "ID:BASE64" (32 bytes); the first wraps, all
# unwrap (rotation). Empty: derived from SECRET_KEY. PRIVACY_KEY_BACKEND="vault" uses Vault's
# transit engine instead (VAULT_ADDR, VAULT_TOKEN, VAULT_TRANSIT_KEY; needs hvac).
PRIVACY_KEY_BACKEND = env("PRIVACY_KEY_BACKEND", default="env")
PRIVACY_MASTER_KEYS = env.list("PRIVACY_MASTER_KEYS", default=[])
VAULT_ADDR = env("VAULT_ADDR", default="")
VAULT_TOKEN = env("VAULT_TOKEN", default="")
VAULT_TRANSIT_KEY = env("VAULT_TRANSIT_KEY", default="platform")
# Kinds of personal data, registered by the apps that hold them (apps.privacy.lifecycle.kinds).
PRIVACY_DATA_KINDS = env.list(
    "PRIVACY_DATA_KINDS",
    default=[
        "apps.customer_service.privacy.DATA_KINDS",
        "apps.medical_records.privacy.DATA_KINDS",
        "apps.financial_risk.privacy.DATA_KINDS",
    ],
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

# ---------------------------------------------------------------------------- static files
STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# ---------------------------------------------------------------------------- request limits
# Bodies over this size are refused with 413 before they are read.
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DJANGO_MAX_BODY_BYTES", default=2 * 1024 * 1024)
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

# ---------------------------------------------------------------------------- REST framework
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "apps.accounts.authentication.ApiKeyAuthentication",
        "apps.accounts.authentication.TenantSessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["apps.accounts.permissions.IsTenantMember"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    "DEFAULT_THROTTLE_CLASSES": [
        "apps.accounts.throttling.CredentialRateThrottle",
        "apps.accounts.throttling.TenantQuotaThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {"credential": env("API_THROTTLE_RATE", default="600/min")},
    "DEFAULT_PAGINATION_CLASS": "apps.core.pagination.DefaultPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "apps.core.errors.api_exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Vertical AI Platform API",
    "DESCRIPTION": "Customer service, medical records and financial risk on one shared base.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Served from the sidecar package: the docs work with no internet and no CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # Group operations by domain (accounts, audit, jobs…) rather than under one "v1" tag.
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    # Two different "role" fields: a member's platform role and a chat message's author.
    "ENUM_NAME_OVERRIDES": {
        "PlatformRoleEnum": "apps.accounts.roles.Role",
        "MessageRoleEnum": ["system", "user", "assistant"],
        # Fields named alike in several apps ("state", "kind") need their own enum names.
        "JobStateEnum": "apps.jobs.models.JobState",
        "RiskModelStateEnum": "apps.financial_risk.models.ModelState",
        "DatasetKindEnum": "apps.financial_risk.models.DatasetKind",
        "FindingKindEnum": "apps.financial_risk.models.FindingKind",
        "ConversationStatusEnum": "apps.customer_service.models.ConversationStatus",
        "DemoOrderStatusEnum": "apps.customer_service.models.OrderStatus",
        "CorrectionKindEnum": "apps.customer_service.models.CorrectionKind",
        "HandoffStateEnum": "apps.customer_service.models.HandoffState",
        "ReviewStateEnum": "apps.customer_service.models.ReviewState",
        "MedicalBatchFormatEnum": "apps.medical_records.models.BatchFormat",
        "AdapterStateEnum": "apps.adaptation.models.AdapterState",
        "TransactionChannelEnum": ["pos", "ecom", "atm", "moto"],
        "NotificationDestinationKindEnum": "apps.notifications.models.DestinationKind",
        "ConnectorKindEnum": "apps.customer_service.assistant_models.ConnectorKind",
        "MedicalCorrectionKindEnum": "apps.medical_records.models.CorrectionKind",
        "NoteLanguageEnum": "apps.medical_records.api.serializers.LANGUAGE_CHOICES",
    },
}

# ---------------------------------------------------------------------------- quotas
# Default per-tenant quotas; a tenant's own Quota rows override them. None = unlimited.
DEFAULT_TENANT_QUOTAS = {
    "requests_per_day": env.int("QUOTA_REQUESTS_PER_DAY", default=100_000),
}
# Quota limits are read on every request; apps.accounts.services.quota_set refreshes them at
# once, a row edited behind the services' back is seen within this many seconds (0: no cache).
QUOTA_CACHE_SECONDS = env.int("QUOTA_CACHE_SECONDS", default=30)

# ---------------------------------------------------------------------------- celery
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = REDIS_URL or "cache+memory://"
# No broker configured: run tasks in-process (the zero-setup default).
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = False
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_RESULT_EXPIRES = timedelta(days=1)
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=30 * 60)
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=35 * 60)
# One visibility timeout for broker and result backend, longer than the hard time limit, so a
# task still running is never redelivered to a second worker.
CELERY_VISIBILITY_TIMEOUT = env.int("CELERY_VISIBILITY_TIMEOUT", default=60 * 60)
# A dead worker's unacknowledged messages go back to the queue once they are older than the
# visibility timeout, but only when a worker sweeps for them: kombu's default sweep runs every
# 10 x 10 s, so with a short timeout a message waited up to 100 s more (tests/fault showed it).
# Sweep a few times per timeout, at most every 10 s (one cheap ZRANGE each).
CELERY_UNACKED_RESTORE_S = env.int(
    "CELERY_UNACKED_RESTORE_S", default=max(1, min(10, CELERY_VISIBILITY_TIMEOUT // 4))
)
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": CELERY_VISIBILITY_TIMEOUT,
    "unacked_restore_interval": CELERY_UNACKED_RESTORE_S,
    "unacked_restore_throttle": 1,
}
CELERY_RESULT_BACKEND_TRANSPORT_OPTIONS = {"visibility_timeout": CELERY_VISIBILITY_TIMEOUT}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_BEAT_SCHEDULE = {
    "audit-checkpoint": {
        "task": "apps.audit.tasks.audit_checkpoint_task",
        "schedule": timedelta(minutes=AUDIT_CHECKPOINT_MINUTES),
    },
    # Retention: one job per tenant deletes what is past its period (daily, 03:30 UTC).
    "privacy-retention": {
        "task": "apps.privacy.lifecycle.tasks.privacy_retention_scheduled_task",
        "schedule": crontab(minute=30, hour=3),
    },
    # Checkpoint and anchor outside the database every AUDIT_ANCHOR_SECONDS.
    "audit-anchor": {
        "task": "apps.audit.tasks.audit_anchor_task",
        "schedule": timedelta(seconds=AUDIT_ANCHOR_SECONDS),
    },
}
# Financial risk: PSI and adversarial validation of every live model on the last
# RISK_MONITORING_WINDOW_DAYS of decisions, every RISK_MONITORING_HOURS.
RISK_MONITORING_HOURS = env.int("RISK_MONITORING_HOURS", default=6)
RISK_MONITORING_WINDOW_DAYS = env.int("RISK_MONITORING_WINDOW_DAYS", default=7)
# Fraud rings ignore identifiers shared by more accounts than this (public IPs, shop devices).
RISK_RING_MAX_ACCOUNTS_PER_IDENTIFIER = env.int("RISK_RING_MAX_ACCOUNTS_PER_IDENTIFIER", default=8)
CELERY_BEAT_SCHEDULE["risk-monitoring"] = {
    "task": "apps.financial_risk.tasks.risk_monitoring_scheduled_task",
    "schedule": timedelta(hours=RISK_MONITORING_HOURS),
}
# Transaction fraud (issue 24): card numbers become HMAC-SHA256 tokens under this key (set it
# in production and keep it: tokens of the same card must stay equal); the accounts' window
# state in Redis (prefix, expiry after the last event); scored decisions are audited in one
# event per tenant every FRAUD_AUDIT_FLUSH_SECONDS.
FRAUD_CARD_TOKEN_KEY = env("FRAUD_CARD_TOKEN_KEY", default=f"card-token:{SECRET_KEY}")
FRAUD_STATE_PREFIX = env("FRAUD_STATE_PREFIX", default="fraud")
FRAUD_STATE_TTL_DAYS = env.int("FRAUD_STATE_TTL_DAYS", default=35)
FRAUD_AUDIT_FLUSH_SECONDS = env.int("FRAUD_AUDIT_FLUSH_SECONDS", default=10)
# A scored decision's commit waits for the WAL flush only when this is true (see
# services/fraud_scoring.py: asynchronous commit keeps the flush out of a payment's latency).
FRAUD_DECISION_SYNCHRONOUS_COMMIT = env.bool("FRAUD_DECISION_SYNCHRONOUS_COMMIT", default=False)
CELERY_BEAT_SCHEDULE["fraud-decisions-audit"] = {
    "task": "apps.financial_risk.tasks.fraud_decisions_audit_task",
    "schedule": timedelta(seconds=FRAUD_AUDIT_FLUSH_SECONDS),
}
# Customer service: the weekly ratings report by intent (Monday 06:00 UTC) for every tenant.
CELERY_BEAT_SCHEDULE["customer-service-ratings-report"] = {
    "task": "apps.customer_service.tasks.ratings_weekly_report_task",
    "schedule": crontab(minute=0, hour=6, day_of_week="mon"),
}
# Customer service replies: new tokens per generated reply, and the score and meaning
# similarity a retrieved fact needs to ground an answer (below them: "I do not know").
CUSTOMER_SERVICE_REPLY_MAX_NEW_TOKENS = env.int("CUSTOMER_SERVICE_REPLY_MAX_NEW_TOKENS", default=80)
CUSTOMER_SERVICE_RETRIEVAL_THRESHOLD = env.float(
    "CUSTOMER_SERVICE_RETRIEVAL_THRESHOLD", default=0.3
)
CUSTOMER_SERVICE_MIN_SEMANTIC = env.float("CUSTOMER_SERVICE_MIN_SEMANTIC", default=0.3)
# Greedy replies and message embeddings are cached per tenant; the benchmark turns this off
# so that every reply is generated.
CUSTOMER_SERVICE_MODEL_CACHE = env.bool("CUSTOMER_SERVICE_MODEL_CACHE", default=True)
# Customer service for any shop: the hosts connectors may call (no server-side request forgery;
# host or host:port), the environment variables that may hold a connector's auth secret, and
# the grounding check's thresholds (apps/customer_service/grounding.py).
CUSTOMER_SERVICE_CONNECTOR_ALLOWED_HOSTS = env.list(
    "CUSTOMER_SERVICE_CONNECTOR_ALLOWED_HOSTS", default=["127.0.0.1", "localhost"]
)
CUSTOMER_SERVICE_CONNECTOR_SECRETS = env.list("CUSTOMER_SERVICE_CONNECTOR_SECRETS", default=[])
CUSTOMER_SERVICE_DEMO_ORDER_API_PORT = env.int("CUSTOMER_SERVICE_DEMO_ORDER_API_PORT", default=8765)
# Notifications (apps/notifications): webhook hosts the platform admin allows, the window in
# which the same (tenant, topic, key) is sent once, and the webhook time-out.
NOTIFICATIONS_ALLOWED_HOSTS = env.list("NOTIFICATIONS_ALLOWED_HOSTS", default=["127.0.0.1"])
NOTIFICATIONS_DEDUP_S = env.int("NOTIFICATIONS_DEDUP_S", default=3600)
NOTIFICATIONS_TIMEOUT_S = env.float("NOTIFICATIONS_TIMEOUT_S", default=5.0)
JOB_MAX_RETRIES = env.int("JOB_MAX_RETRIES", default=3)

# ---------------------------------------------------------------------------- logging
LOG_LEVEL = env("DJANGO_LOG_LEVEL", default="INFO")
LOG_FORMAT = env("DJANGO_LOG_FORMAT", default="json")  # json | text
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"mask_pii": {"()": "apps.privacy.logging.PiiMaskingFilter"}},
    "formatters": {
        "json": {"()": "apps.privacy.logging.JsonLogFormatter"},
        "text": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT,
            # On the handler, not on loggers: records propagated from any library pass here.
            "filters": ["mask_pii"],
        },
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "presidio-analyzer": {"level": "ERROR"},
        # Its INFO line repeats each task's whole result (embedding vectors, generated text):
        # noise, personal data to mask, and milliseconds per task. Metrics count the tasks.
        "celery.app.trace": {"level": "WARNING"},
    },
}

# ---------------------------------------------------------------------------- health
# /metrics: with METRICS_BEARER_TOKEN set, only "Authorization: Bearer <token>" reads it (401
# otherwise); without a token it is public only where METRICS_PUBLIC is true (development), else
# 404. The other way to keep it private is a separate listen address: METRICS_EXPORT_PORT (with
# METRICS_EXPORT_ADDRESS) makes django-prometheus serve it from each process on an internal port,
# and METRICS_PUBLIC=false closes the web path (README: Security).
METRICS_BEARER_TOKEN = env("METRICS_BEARER_TOKEN", default="")
METRICS_PUBLIC = env.bool("METRICS_PUBLIC", default=True)
if env("METRICS_EXPORT_PORT", default=""):
    PROMETHEUS_METRICS_EXPORT_PORT_RANGE = range(
        env.int("METRICS_EXPORT_PORT"), env.int("METRICS_EXPORT_PORT") + 32
    )
    PROMETHEUS_METRICS_EXPORT_ADDRESS = env("METRICS_EXPORT_ADDRESS", default="127.0.0.1")
# /readyz runs every readiness check (one of them pings the workers); each process answers from
# a result at most this old, and only staff sessions or the metrics token see the details.
READINESS_CACHE_SECONDS = env.int("READINESS_CACHE_SECONDS", default=5)
# The OpenAPI schema and its docs pages: "public", "authenticated" (an API key or a session;
# 401 otherwise) or "off" (404).
API_DOCS = env("API_DOCS", default="public")
READINESS_CHECKS = {
    "database": "apps.core.health.check_database",
    "broker": "apps.core.health.check_broker",
}

# ---------------------------------------------------------------------------- models runtime
# Model specs (models_runtime/specs.py). Without MODELS_RUNTIME_MODELS the offline defaults
# serve: "chat" = SmolLM2-135M-Instruct, "embed" = all-MiniLM-L6-v2. A deployment names its
# DeepSeek checkpoints here, e.g.
#   MODELS_RUNTIME_MODELS='{"deepseek-r1": {"task": "chat",
#       "source": "deepseek-ai/DeepSeek-R1-Distill-Qwen-1.5B", "revision": "<commit>"}}'
MODELS_RUNTIME = {
    "models": env.json("MODELS_RUNTIME_MODELS", default={}),
    "include_defaults": env.bool("MODELS_RUNTIME_INCLUDE_DEFAULTS", default=True),
    # One torch thread per inference process keeps OpenMP from fighting the web server and
    # the database for a small machine's cores; raise it on a dedicated host.
    "torch_threads": env.int("MODELS_RUNTIME_TORCH_THREADS", default=1),
    "max_batch_size_override": env.int("MODELS_RUNTIME_MAX_BATCH_SIZE", default=0),
}
# Models loaded when the inference worker starts, not on first request.
MODELS_RUNTIME_WARM = env.list("MODELS_RUNTIME_WARM", default=[])
# How long a caller waits for a model result before a 504.
INFERENCE_TIMEOUT_S = env.float("INFERENCE_TIMEOUT_S", default=120.0)
# Backpressure: past this many tasks waiting in the inference queue, answer 429 (a task is one
# request, or one coalesced group of embedding requests).
INFERENCE_MAX_QUEUED = env.int("INFERENCE_MAX_QUEUED", default=512)
INFERENCE_RETRY_AFTER_S = env.int("INFERENCE_RETRY_AFTER_S", default=2)
# Concurrent embedding calls of one process share a worker task once this many are on the way
# (models_runtime/coalesce.py); 0 sends every call on its own. A group holds at most
# INFERENCE_COALESCE_TEXTS texts.
# bench_inference, 32 clients on a 2-core CPU: embed platform/raw 0.51 with 2, 0.63 with 3,
# 0.67 with 4 (deeper pipelining, batches of 13-16 texts).
INFERENCE_COALESCE_IN_FLIGHT = env.int("INFERENCE_COALESCE_IN_FLIGHT", default=4)
INFERENCE_COALESCE_TEXTS = env.int("INFERENCE_COALESCE_TEXTS", default=64)
# Deterministic results (embeddings, greedy chat) are cached in Redis this long.
INFERENCE_CACHE_TTL_S = env.int("INFERENCE_CACHE_TTL_S", default=24 * 3600)
# The inference worker serves Prometheus metrics on this port (0 = off).
MODELS_RUNTIME_METRICS_PORT = env.int("MODELS_RUNTIME_METRICS_PORT", default=0)
# Hooks through which models_runtime meters usage and checks quotas without importing accounts.
MODELS_RUNTIME_USAGE_HOOK = "apps.accounts.metering.record_model_usage"
# The inference worker writes metered usage this often (models_runtime/metering.py).
MODELS_RUNTIME_METER_FLUSH_S = env.float("MODELS_RUNTIME_METER_FLUSH_S", default=1.0)
MODELS_RUNTIME_QUOTA_HOOK = "apps.accounts.metering.check_model_quota"
MODELS_RUNTIME_BENCH_CREDENTIAL_HOOK = "apps.accounts.benchmark.bench_credential"
READINESS_CHECKS["inference_worker"] = "models_runtime.health.check_inference_worker"
# How the inference worker finds a tenant's promoted LoRA adapter by name (apps/adaptation).
MODELS_RUNTIME_ADAPTER_HOOK = "apps.adaptation.selectors.adapter_for_serving"

# ---------------------------------------------------------------------------- domain adaptation
# Callables f(*, tenant) -> list[{"prompt", "response", "source"}] giving approved corrections as
# training pairs, by dotted path so that apps/adaptation imports no vertical.
ADAPTATION_PAIR_SOURCES = env.list(
    "ADAPTATION_PAIR_SOURCES",
    default=["apps.customer_service.selectors.approved_training_pairs"],
)
# The knowledge graph whose FAQ nodes become training pairs (the customer-service seed's).
ADAPTATION_FAQ_GRAPH = env.str("ADAPTATION_FAQ_GRAPH", default="shop")

# ---------------------------------------------------------------------------- knowledge graphs
# How often (seconds) a process re-reads a graph's version to see other processes' writes;
# its own writes it sees at once. 0 = on every query (knowledge/cache.py; bench_knowledge
# measures both).
KNOWLEDGE_VERSION_CHECK_S = env.float("KNOWLEDGE_VERSION_CHECK_S", default=1.0)

# ---------------------------------------------------------------------------- operations console
# Panels that verticals fill, by dotted path so that the console imports none of them; each is
# called as f(*, tenant=None, limit=20) -> list[dict] (apps/operations/panels.py).
OPERATIONS_PANELS = {
    "drift_alerts": "apps.financial_risk.selectors.drift_alerts_open",
    "handoffs": "apps.customer_service.selectors.handoff_queue_open",
}
# Gauges of the web's /metrics read from the database (apps/operations/metrics.py), by dotted
# path f() -> number so that the platform imports no vertical; the alert rules use them.
OPERATIONS_METRIC_SOURCES = {
    "platform_audit_verification_failures": "apps.operations.panels.audit_chains_failing",
    "platform_risk_drift_alerts_open": "apps.financial_risk.selectors.drift_alerts_open_count",
}
# Redis key prefix of the console's per-minute request counts (apps/operations/recorder.py).
OPERATIONS_METRICS_PREFIX = env("OPERATIONS_METRICS_PREFIX", default="ops:requests")
