"""The home page work queues for cases (registered in CasesConfig.ready): counts per step and the due rows."""

from urllib.parse import urlencode

from django.urls import reverse
from django.utils.translation import gettext as _

from accounts.models import Role
from cases.queues import due_case_rows
from cases.selectors import queue_counts
from cases.workflow import today


def cases_panel(request):
    user = request.user
    if not user.is_authenticated or user.role == Role.AUDITOR and not user.is_admin_role:
        return None
    counts = queue_counts(user)
    base = reverse("cases:list")

    def item(label, key, alert=False, **query):
        return {"label": label, "count": counts[key], "url": f"{base}?{urlencode(query)}", "alert": alert}

    if user.role in (Role.VILLAGE_STAFF,):
        items = [item(_("Drafts"), "drafts", status="draft"),
                 item(_("Returned by the county"), "returned", alert=True, returned="on")]
    elif user.role == Role.TOWNSHIP_STAFF:
        items = [item(_("Drafts"), "drafts", status="draft"),
                 item(_("Returned by the county"), "returned", alert=True, returned="on"),
                 item(_("Home visits to record"), "to_visit", status="under_investigation")]
    else:
        items = [item(_("To review"), "to_review", status="submitted"),
                 item(_("Home visits to record"), "to_visit", status="under_investigation"),
                 item(_("Ready for public notice"), "to_notice", status="investigated"),
                 item(_("Notices ending"), "notices_ending", status="in_notice"),
                 item(_("Awaiting decision"), "awaiting_decision", status="awaiting_decision"),
                 item(_("Overdue or near a deadline"), "overdue", alert=True, overdue="on")]
    return {"title": _("Applications"), "items": items, "due": due_case_rows(user, on_date=today())}
