from rest_framework.routers import SimpleRouter

from .views import AuditEventViewSet, AuditVerificationViewSet

app_name = "audit"

router = SimpleRouter()
router.register("events", AuditEventViewSet, basename="event")
router.register("verifications", AuditVerificationViewSet, basename="verification")
urlpatterns = router.urls
