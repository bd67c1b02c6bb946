from django.contrib.auth import views as auth_views
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from accounts.forms import LoginForm

# Work-queue panels per role. An app registers a callable (request) -> dict with
# {"title", "items": [{"label", "count", "url"}]} when its pages land.
HOME_PANELS: list = []


def register_home_panel(func):
    HOME_PANELS.append(func)
    return func


class LoginView(auth_views.LoginView):
    template_name = "registration/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True


def home(request):
    panels = []
    for panel in HOME_PANELS:
        result = panel(request)
        if result:
            panels.append(result)
    return render(request, "home.html", {"panels": panels, "title": _("Work queue")})
