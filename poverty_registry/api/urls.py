from django.urls import path
from rest_framework.routers import SimpleRouter

from poverty_registry.api import views

router = SimpleRouter()
router.register("poverty-registrations", views.RegistrationViewSet, basename="poverty-registration")

urlpatterns = [
    path("poverty-registrations/imports/", views.RegistryImportView.as_view(), name="api-poverty-registry-import"),
    path("poverty-registrations/imports/<int:pk>/removals/", views.ImportRemovalsView.as_view(),
         name="api-poverty-registry-import-removals"),
    path("poverty-registrations/imports/<int:pk>/removals/confirm/", views.ImportRemovalsConfirmView.as_view(),
         name="api-poverty-registry-import-removals-confirm"),
    *router.urls,
]
