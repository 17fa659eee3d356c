from rest_framework.routers import SimpleRouter

from .alerts import AlertViewSet
from .views import DeliveryViewSet, DestinationViewSet

app_name = "notifications"

router = SimpleRouter()
router.register("destinations", DestinationViewSet, basename="destination")
router.register("deliveries", DeliveryViewSet, basename="delivery")
router.register("alerts", AlertViewSet, basename="alert")
urlpatterns = router.urls
