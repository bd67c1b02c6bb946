from django.contrib.auth import views as auth_views
from django.urls import path

from accounts import security_views, views

urlpatterns = [
    path("", views.home, name="home"),
    path("accounts/login/", views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/otp/", security_views.otp_verify, name="otp_verify"),
    path("accounts/otp/enrol/", security_views.otp_enrol, name="otp_enrol"),
    path("accounts/otp/recovery-codes/", security_views.recovery_codes, name="recovery_codes"),
    path("accounts/security/", security_views.tokens, name="tokens"),
    path("divisions/options/", views.division_options, name="division_options"),
    path("help/", views.help_page, name="help"),
    path("help/<slug:role>/", views.help_page, name="help_role"),
]
