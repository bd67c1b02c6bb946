from django.contrib.auth import views as auth_views
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from accounts.forms import LoginForm
from accounts.models import Role

# Work-queue panels per role. An app registers a callable (request) -> dict with
# {"title", "items": [{"label", "count", "url"}]} from its AppConfig.ready().
HOME_PANELS: list = []


def register_home_panel(func):
    HOME_PANELS.append(func)
    return func


class LoginView(auth_views.LoginView):
    template_name = "registration/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True


# What each role's queue is for: shown above the panels so a new user knows what lands here.
ROLE_QUEUE_HINTS = {
    Role.VILLAGE_STAFF: _("Households and applications of your village that need your input, "
                          "and corrections sent back by the county."),
    Role.TOWNSHIP_STAFF: _("Applications of your township's villages waiting for the township check, "
                           "and household visits to arrange."),
    Role.COUNTY_OFFICER: _("Applications to review, visits to record, decisions, payment rolls and "
                           "re-checks that are due in your county."),
    Role.AUDITOR: _("Overlap findings and audit trails of your area to read and export."),
    Role.ADMIN: _("Users and divisions are managed in the administration pages."),
    Role.SECURITY_ADMIN: _("Roles, locked accounts, API tokens and second-factor devices are managed in the "
                           "administration pages and the interface."),
    Role.AUDIT_ADMIN: _("The audit log and the access log, the other administrators' actions included."),
}


def home(request):
    panels = []
    for panel in HOME_PANELS:
        result = panel(request)
        if result:
            panels.append(result)
    hint = ROLE_QUEUE_HINTS.get(request.user.role)
    return render(request, "home.html", {"panels": panels, "title": _("Work queue"), "queue_hint": hint})
