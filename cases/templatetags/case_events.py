"""Readable timeline entries: audit action codes and status codes as the user's words."""

from django import template
from django.utils.translation import gettext_lazy as _

from cases.models import CaseStatus
from cases.workflow import TRANSITIONS

register = template.Library()

OTHER_ACTIONS = {
    "case.create": _("Application entered"),
    "case.update": _("Application edited"),
    "case.complaint_recorded": _("Complaint recorded"),
    "case.complaint_resolved": _("Complaint resolved"),
    "case.document_uploaded": _("Document uploaded"),
    "case.document_deleted": _("Document removed"),
    "case.migrated": _("Migrated from the previous system (go-live roster import)"),
    "case.migration_updated": _("Updated from a corrected roster file"),
    "case.migration_undone": _("Roster import undone"),
    "case.note": _("Note added"),
    "case.gradual_exit_ended": _("Gradual exit ended"),
    "case.amount_adjusted": _("Monthly amount adjusted"),
}


@register.filter
def event_label(action: str) -> str:
    if action in OTHER_ACTIONS:
        return OTHER_ACTIONS[action]
    name = action.removeprefix("case.")
    if name in TRANSITIONS:
        return TRANSITIONS[name].label
    return _("Other change")  # never the code name


@register.filter
def status_label(status: str) -> str:
    try:
        return CaseStatus(status).label
    except ValueError:
        return status
