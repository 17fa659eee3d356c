from rest_framework.routers import SimpleRouter

from .views import AdapterViewSet, TrainingSetViewSet

app_name = "adaptation"

router = SimpleRouter()
router.register("training-sets", TrainingSetViewSet, basename="training-set")
router.register("adapters", AdapterViewSet, basename="adapter")
urlpatterns = router.urls
