from rest_framework.routers import SimpleRouter

from .corrections import CorrectionViewSet
from .views import ExtractionViewSet, FindingViewSet, NoteBatchViewSet, NoteViewSet

app_name = "medical_records"

router = SimpleRouter()
router.register("notes", NoteViewSet, basename="note")
router.register("extractions", ExtractionViewSet, basename="extraction")
router.register("findings", FindingViewSet, basename="finding")
router.register("batches", NoteBatchViewSet, basename="batch")
router.register("corrections", CorrectionViewSet, basename="correction")
urlpatterns = router.urls
