from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import (
    SpectacularAPIView,
    SpectacularRedocView,
    SpectacularSwaggerSplitView,
)

from apps.core import health

handler400 = "apps.core.errors.bad_request"
handler403 = "apps.core.errors.permission_denied"
handler404 = "apps.core.errors.page_not_found"
handler500 = "apps.core.errors.server_error"

api_v1 = [
    path("accounts/", include("apps.accounts.api.urls")),
    path("audit/", include("apps.audit.api.urls")),
    path("jobs/", include("apps.jobs.api.urls")),
    path("risk/", include("apps.financial_risk.api.urls")),
    path("knowledge/", include("knowledge.api.urls")),
    path("customer-service/", include("apps.customer_service.api.urls")),
    path("notifications/", include("apps.notifications.api.urls")),
    path("medical/", include("apps.medical_records.api.urls")),
    path("adaptation/", include("apps.adaptation.api.urls")),
    path("", include("models_runtime.api.urls")),
]

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("admin/", admin.site.urls),
    path("api/v1/", include(api_v1)),
    path("knowledge/", include("knowledge.urls")),
    path("customer-service/", include("apps.customer_service.urls")),
    path("ops/", include("apps.operations.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves Swagger UI's start-up script as a file: no inline script (CSP).
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="swagger-ui"),
    path("api/redoc/", SpectacularRedocView.as_view(url_name="schema"), name="redoc"),
    path("", include("django_prometheus.urls")),
]
