from rest_framework.routers import SimpleRouter

from .views import ErasureRequestViewSet

app_name = "privacy"

router = SimpleRouter()
router.register("erasure-requests", ErasureRequestViewSet, basename="erasure-request")
urlpatterns = router.urls
