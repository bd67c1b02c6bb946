"""The case workflow's own guards, named in the rows of `cases.workflow.TRANSITIONS`.

A guard is `(case, actor, data)`, called by `workflow.run` on the locked case with the action's input,
and raises a DomainError to refuse. Guards of other apps: `evidence.guards`, `overlaps.guards`.
"""

from django.utils.translation import gettext_lazy as _

from cases.checklists import missing_items
from dibao.errors import DomainError, NotPermitted


def not_entrant(case, actor, data) -> None:
    """Separation of duties: whoever entered the application cannot decide it."""
    if actor is not None and actor.pk == case.entered_by_id:
        raise NotPermitted(_("You entered this application, so another officer must decide it."),
                           code="separation_of_duties")


def submission_complete(case, actor, data) -> None:
    missing = missing_items(case)
    if missing:
        raise DomainError(_("The application is incomplete."), code="incomplete",
                          fields={"missing": [str(m) for m in missing]})
