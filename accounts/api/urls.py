from django.urls import path
from rest_framework.routers import SimpleRouter

from accounts.api import auth_views, views

router = SimpleRouter()
router.register("divisions", views.DivisionViewSet, basename="division")
router.register("users", views.UserViewSet, basename="user")

urlpatterns = [
    path("auth/token/", auth_views.TokenView.as_view(), name="api-token"),
    path("auth/logout/", auth_views.LogoutView.as_view(), name="api-logout"),
    path("auth/logout-all/", auth_views.LogoutAllView.as_view(), name="api-logout-all"),
    path("auth/tokens/", auth_views.TokenListView.as_view(), name="api-tokens"),
    path("auth/tokens/<str:token_ref>/", auth_views.TokenDetailView.as_view(), name="api-token-detail"),
    path("auth/lockouts/", auth_views.LockoutView.as_view(), name="api-lockouts"),
    path("me/", views.MeView.as_view(), name="api-me"),
    *router.urls,
]
