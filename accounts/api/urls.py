from django.urls import path
from rest_framework.routers import SimpleRouter

from accounts.api import views

router = SimpleRouter()
router.register("divisions", views.DivisionViewSet, basename="division")
router.register("users", views.UserViewSet, basename="user")

urlpatterns = [
    path("auth/token/", views.TokenView.as_view(), name="api-token"),
    path("me/", views.MeView.as_view(), name="api-me"),
    *router.urls,
]
