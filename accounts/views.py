from django.contrib.auth import views as auth_views
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from accounts.forms import LoginForm
from accounts.models import Role

# Work-queue panels per role. An app registers a callable (request) -> dict with
# {"title", "items": [{"label", "count", "url"}]} from its AppConfig.ready(), and optionally
# "due": [{"step", "title", "url", "due", "days_left", "waited", "note"}]: the items that wait for the user,
# which the home page merges into one table, fewest working days left first.
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
    Role.TOWNSHIP_STAFF: _("Home visits to record in your township's villages, drafts, and applications "
                           "returned by the county for correction."),
    Role.COUNTY_OFFICER: _("Applications to review, visits to record, decisions, payment rolls and "
                           "re-checks that are due in your county."),
    Role.AUDITOR: _("Overlap findings and audit trails of your area to read and export."),
    Role.ADMIN: _("Users and divisions are managed in the administration pages."),
}


def due_order(row):
    """Fewest working days left first; items without a time limit after them, longest waiting first."""
    if row.get("days_left") is not None:
        return (0, row["days_left"], 0)
    return (1, 0, -(row.get("waited") or 0))


HOME_DUE_ROWS = 30


def home(request):
    panels, due = [], []
    for panel in HOME_PANELS:
        result = panel(request)
        if result:
            panels.append(result)
            due.extend(result.get("due", ()))
    due = sorted(due, key=due_order)[:HOME_DUE_ROWS]
    hint = ROLE_QUEUE_HINTS.get(Role.ADMIN if request.user.is_admin_role else request.user.role)
    return render(request, "home.html", {"panels": panels, "due": due, "title": _("Work queue"), "queue_hint": hint})
