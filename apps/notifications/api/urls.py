from rest_framework.routers import SimpleRouter

from .views import DeliveryViewSet, DestinationViewSet

app_name = "notifications"

router = SimpleRouter()
router.register("destinations", DestinationViewSet, basename="destination")
router.register("deliveries", DeliveryViewSet, basename="delivery")
urlpatterns = router.urls
