from django.contrib.auth import views as auth_views
from django.urls import path

from accounts import views

urlpatterns = [
    path("", views.home, name="home"),
    path("accounts/login/", views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("divisions/options/", views.division_options, name="division_options"),
    path("help/", views.help_page, name="help"),
    path("help/<slug:role>/", views.help_page, name="help_role"),
]
