from django.urls import path
from rest_framework.routers import SimpleRouter

from overlaps.api.views import OverlapFlagViewSet, OverlapScanView

router = SimpleRouter()
router.register("overlap-flags", OverlapFlagViewSet, basename="overlap-flag")

urlpatterns = [
    path("overlap-scans/", OverlapScanView.as_view(), name="api-overlap-scans"),
    *router.urls,
]
