"""The Django core: the one ``env``, the installed apps, middleware, database, cache, static files.

Zero-setup default: without DATABASE_URL the platform uses SQLite, without REDIS_URL tasks run
in-process and the cache is local memory. With them: PostgreSQL, Redis and separate workers.
"""

import os
from pathlib import Path

import environ

# Presidio probes CUDA at import by putting a tensor on the GPU; in web and Celery parent
# processes, which fork afterwards, that must not happen (docs/architecture.md: CUDA and fork).
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
    # The tenant-scoped API and admin of accounts and audit, above the surface they build on.
    "apps.accounts_surface",
    "apps.audit_surface",
    # Four-eyes approvals (above accounts and audit, below jobs and the verticals).
    "apps.approvals",
    "apps.jobs",
    "apps.registry",
    "models_runtime",
    "knowledge",
    # Retention, erasure and export (the tables are apps.privacy's).
    "apps.data_lifecycle",
    "apps.financial_risk",
    "apps.notifications",
    "apps.customer_service",
    "apps.medical_records",
    "apps.adaptation",
    "apps.operations",
]
# An entry whose package holds a vertical.py is a vertical: config/settings/verticals.py merges
# its declaration into these settings (docs/adding-a-vertical.md).
INSTALLED_APPS = DJANGO_APPS + THIRD_PARTY_APPS + LOCAL_APPS

MIDDLEWARE = [
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    # Request count and latency per vertical across processes (the operator console).
    "apps.operations.recorder.RequestMetricsMiddleware",
    "apps.core.middleware.RequestIdMiddleware",
    # Before anything that queries the database: skips the health check's round trip on a
    # connection that answered within DATABASE_HEALTH_CHECK_IDLE_SECONDS.
    "apps.core.middleware.RecentDatabaseAnswerMiddleware",
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
# A request on a connection that answered less than this many seconds ago skips the health
# check's SELECT 1 (apps.core.middleware.RecentDatabaseAnswerMiddleware); 0: check every request.
DATABASE_HEALTH_CHECK_IDLE_SECONDS = env.float("DATABASE_HEALTH_CHECK_IDLE_SECONDS", default=1.0)
USING_POSTGRES = DATABASES["default"]["ENGINE"].endswith("postgresql")
if not USING_POSTGRES:
    # SQLite for concurrent writers (the web process, in-process jobs, a second worker):
    # - timeout: wait up to 20 s for the one writer instead of failing at once with "database is
    #   locked";
    # - IMMEDIATE: a transaction takes the write lock when it begins, so it waits its turn within
    #   that timeout rather than failing when a read turns into a write (Django's docs advise it);
    # - WAL: readers never wait for the writer, and the writer never waits for readers.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "timeout": 20,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )

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

# ---------------------------------------------------------------------------- static files
STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
# The platform's own files (its logo and favicon; templates/admin/base_site.html).
STATICFILES_DIRS = [BASE_DIR / "static"]
# The name the admin and the pages show (title, header).
PLATFORM_NAME = env("PLATFORM_NAME", default="Vertical AI platform")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
