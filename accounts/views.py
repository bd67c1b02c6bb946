from django.contrib.auth import views as auth_views
from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.shortcuts import render
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from accounts import picker
from accounts.forms import LoginForm
from accounts.models import Role
from accounts.selectors import access_division_by_code

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
    Role.SECURITY_ADMIN: _("Roles, locked accounts, API tokens and second-factor devices are managed in the "
                           "administration pages and the interface."),
    Role.AUDIT_ADMIN: _("The audit log and the access log, the other administrators' actions included."),
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
    hint = ROLE_QUEUE_HINTS.get(request.user.role,
                                ROLE_QUEUE_HINTS[Role.ADMIN] if request.user.is_admin_role else None)
    return render(request, "home.html", {"panels": panels, "due": due, "title": _("Work queue"), "queue_hint": hint})


def division_options(request):
    """The next level of the cascading division picker (htmx): the children of the picked division."""
    field = request.GET.get("field", "division")
    if not field.isidentifier():
        return HttpResponseBadRequest(_("Unknown field."))
    code = picker.picked_code(request.GET, field)
    if not code:
        return HttpResponse("")  # nothing picked: no deeper level
    parent = access_division_by_code(request.user, code)
    select = picker.level_select(request.user, parent, field=field)
    return render(request, "accounts/_picker_level.html", {"chain": [select] if select else []})


HELP_ROLES = [Role.VILLAGE_STAFF, Role.TOWNSHIP_STAFF, Role.COUNTY_OFFICER, Role.AUDITOR, Role.ADMIN]


def help_page(request, role: str | None = None):
    """A help page per role (what lands on your desk, step by step, the words used), in the page's language."""
    role = role or (request.user.role if request.user.role in HELP_ROLES else Role.ADMIN)
    if role not in HELP_ROLES:
        raise Http404
    language = "en" if translation.get_language().startswith("en") else "zh-hans"
    return render(request, "help/page.html", {
        "title": _("Help"), "role": role, "roles": [(r, Role(r).label) for r in HELP_ROLES],
        "body": f"help/{language}/{role}.html", "role_label": Role(role).label,
    })
