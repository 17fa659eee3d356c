"""pytest: in-process tasks unless a test starts a real worker, fast hashing, locmem cache/mail.

DATABASE_URL still decides the database, so CI runs the suite on PostgreSQL.
"""

from .base import *  # noqa: F403
from .base import env

DEBUG = False
SECRET_KEY = "test-only-secret-key-not-for-production-0123456789abcdefghijkl"
API_KEY_HASH_KEY = SECRET_KEY
AUDIT_SIGNING_KEY = "test-audit-signing-key"
AUDIT_DIGEST_KEY = "test-audit-digest-key"
# An audit failure that production only logs (a denied request's event) fails the test instead.
AUDIT_RAISE_ERRORS = True
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# Tests run tasks in-process; a worker started by a test sets TEST_REAL_BROKER=1 to use Redis.
if not env.bool("TEST_REAL_BROKER", default=False):
    CELERY_TASK_ALWAYS_EAGER = True
    CELERY_BROKER_URL = "memory://"
    CELERY_RESULT_BACKEND = "cache+memory://"
STORAGES["staticfiles"] = {  # noqa: F405
    "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
}
LOG_FORMAT = "json"
LOGGING["handlers"]["console"]["formatter"] = "json"  # noqa: F405
DEFAULT_TENANT_QUOTAS = {"requests_per_day": env.int("QUOTA_REQUESTS_PER_DAY", default=100_000)}
REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] = {"credential": "10000/min"}  # noqa: F405
# Serve static files from the apps (no collectstatic before tests).
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
# Every /readyz in a test runs its checks (no per-process reuse between tests).
READINESS_CACHE_SECONDS = 0
# pytest-django's admin_client is a superuser without a device; the second-factor tests turn
# this on (tests/test_trust_findings.py) and every other test reaches the admin as before.
MFA_REQUIRED_FOR_SUPERUSERS = False
