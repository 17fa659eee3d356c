from rest_framework.routers import SimpleRouter

from .views import EdgeViewSet, GraphViewSet, NodeViewSet

app_name = "knowledge"

router = SimpleRouter()
router.register("graphs", GraphViewSet, basename="graph")
router.register("nodes", NodeViewSet, basename="node")
router.register("edges", EdgeViewSet, basename="edge")
urlpatterns = router.urls
