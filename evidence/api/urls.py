from django.urls import path
from rest_framework.routers import SimpleRouter

from evidence.api import views

router = SimpleRouter()
router.register("documents", views.DocumentViewSet, basename="document")
router.register("complaints", views.ComplaintViewSet, basename="complaint")

urlpatterns = [
    path("documents/<uuid:uuid>/download/", views.DocumentDownloadView.as_view(), name="api-document-download"),
    *router.urls,
]
