"""The REST API: DRF defaults, the OpenAPI schema and the per-tenant quotas."""

from .core import env

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
        "apps.core.filters.StrictFilterBackend",
        "apps.core.filters.StrictOrderingFilter",
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
        # Fields named alike in several apps ("state", "kind") need their own enum names; the
        # verticals' declarations add theirs (config/settings/verticals.py).
        "JobStateEnum": "apps.jobs.models.JobState",
        "NotificationDestinationKindEnum": "apps.notifications.models.DestinationKind",
        "AlertSeverityEnum": "apps.notifications.models.Severity",
        # A language code without labels ("en" or "zh"): a shop's reply language and a risk
        # tenant's reason_language share it (a note's language has its own, labelled set).
        "LanguageCodeEnum": ["en", "zh"],
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
