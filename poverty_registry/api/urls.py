from django.urls import path
from rest_framework.routers import SimpleRouter

from poverty_registry.api import views

router = SimpleRouter()
router.register("poverty-registrations", views.RegistrationViewSet, basename="poverty-registration")

urlpatterns = [
    path("poverty-registrations/imports/", views.RegistryImportView.as_view(), name="api-poverty-registry-import"),
    *router.urls,
]
