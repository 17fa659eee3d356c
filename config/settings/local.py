"""Developer machine: `make run`. DEBUG on, a throwaway secret when none is given."""

from .base import *  # noqa: F403
from .base import env

DEBUG = env.bool("DJANGO_DEBUG", default=True)
SECRET_KEY = env("DJANGO_SECRET_KEY", default="local-dev-only-insecure-key-change-me-0123456789")
API_KEY_HASH_KEY = env("API_KEY_HASH_KEY", default="") or SECRET_KEY
AUDIT_SIGNING_KEY = env("AUDIT_SIGNING_KEY", default="") or SECRET_KEY
AUDIT_DIGEST_KEY = env("AUDIT_DIGEST_KEY", default="") or SECRET_KEY
LOG_FORMAT = env("DJANGO_LOG_FORMAT", default="text")
LOGGING["handlers"]["console"]["formatter"] = LOG_FORMAT  # noqa: F405
# Static files straight from the apps, no collectstatic needed for `make run`.
WHITENOISE_USE_FINDERS = True
STORAGES["staticfiles"] = {  # noqa: F405
    "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
}
WHITENOISE_AUTOREFRESH = True
