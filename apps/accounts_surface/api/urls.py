from django.urls import path
from rest_framework.routers import SimpleRouter

from .views import ApiKeyViewSet, MembershipViewSet, UsageViewSet, WhoAmIView

app_name = "accounts"

router = SimpleRouter()
router.register("api-keys", ApiKeyViewSet, basename="api-key")
router.register("members", MembershipViewSet, basename="membership")
router.register("usage", UsageViewSet, basename="usage")

urlpatterns = [path("me/", WhoAmIView.as_view(), name="whoami"), *router.urls]
