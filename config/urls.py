from django.conf import settings
from django.contrib import admin
from django.templatetags.static import static
from django.urls import include, path
from django.views.generic import RedirectView
from drf_spectacular.views import (
    SpectacularAPIView,
    SpectacularRedocView,
    SpectacularSwaggerSplitView,
)
from rest_framework.permissions import AllowAny, IsAuthenticated

from apps.accounts.admin_tenant import admin_tenant_switch
from apps.accounts.mfa import mfa_verify
from apps.core import health, verticals

# The admin carries the platform's name (its logo and favicon: templates/admin/base_site.html).
admin.site.site_header = settings.PLATFORM_NAME
admin.site.site_title = settings.PLATFORM_NAME
admin.site.index_title = "Administration"
# No "View site" link: the platform has no public site; its pages are the admin's, the console
# and the verticals' pages. The root leads to the admin.
admin.site.site_url = None

handler400 = "apps.core.errors.bad_request"
handler403 = "apps.core.errors.permission_denied"
handler404 = "apps.core.errors.page_not_found"
handler500 = "apps.core.errors.server_error"

api_v1 = [
    path("accounts/", include("apps.accounts_surface.api.urls")),
    path("audit/", include("apps.audit_surface.api.urls")),
    path("privacy/", include("apps.data_lifecycle.api.urls")),
    path("jobs/", include("apps.jobs.api.urls")),
    path("knowledge/", include("knowledge.api.urls")),
    path("notifications/", include("apps.notifications.api.urls")),
    # Each vertical's API under the prefix its declaration names (apps/<vertical>/vertical.py).
    *verticals.api_urlpatterns(),
    path("", include("models_runtime.api.urls")),
]


class FaviconRedirect(RedirectView):
    """The icon's static URL, resolved per request: in production (hashed file names) the
    manifest exists only after collectstatic, and ``check --deploy`` imports this module
    before that."""

    def get_redirect_url(self, *args, **kwargs):
        return static("platform/favicon.ico")


urlpatterns = [
    # Browsers ask for /favicon.ico on every page that names no icon (the API's JSON, say).
    path("favicon.ico", FaviconRedirect.as_view()),
    path("", RedirectView.as_view(url="/admin/")),
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path(
        "admin/tenant/switch/",
        admin.site.admin_view(admin_tenant_switch),
        name="admin_tenant_switch",
    ),
    path("admin/mfa/verify/", mfa_verify, name="admin_mfa_verify"),
    path("admin/", admin.site.urls),
    path("api/v1/", include(api_v1)),
    path("knowledge/", include("knowledge.urls")),
    path("accounts/", include("apps.accounts.urls")),
    *verticals.page_urlpatterns(),
    path("ops/", include("apps.operations.urls")),
    path("metrics", health.metrics, name="prometheus-django-metrics"),
]

# The schema and docs follow API_DOCS: public, authenticated (401 without credentials) or off.
if settings.API_DOCS != "off":
    docs = {"permission_classes": [AllowAny if settings.API_DOCS == "public" else IsAuthenticated]}
    urlpatterns += [
        path("api/schema/", SpectacularAPIView.as_view(**docs), name="schema"),
        # The split view serves Swagger UI's start-up script as a file: no inline script (CSP).
        path(
            "api/docs/",
            SpectacularSwaggerSplitView.as_view(url_name="schema", **docs),
            name="swagger-ui",
        ),
        path("api/redoc/", SpectacularRedocView.as_view(url_name="schema", **docs), name="redoc"),
    ]
