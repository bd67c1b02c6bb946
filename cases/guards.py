"""The case workflow's own guards, named in the rows of `cases.workflow.TRANSITIONS`.

A guard is `(case, actor, data)`, called by `workflow.run` on the locked case with the action's input,
and raises a DomainError to refuse. Guards of other apps: `evidence.guards`, `overlaps.guards`.
"""

from django.utils.translation import gettext_lazy as _

from accounts.models import Role
from cases.amounts import pending_decision, require_second_officer
from cases.checklists import missing_items
from dibao.errors import Conflict, DomainError, NotPermitted

INVESTIGATING_ROLES = (Role.VILLAGE_STAFF, Role.TOWNSHIP_STAFF, Role.COUNTY_OFFICER)


def not_entrant(case, actor, data) -> None:
    """Separation of duties: whoever entered the application neither records its visits nor decides it."""
    if actor is not None and actor.pk == case.entered_by_id:
        raise NotPermitted(_("Separation of duties: you entered this application, so other staff must record "
                             "its home visits and decide it."), code="separation_of_duties")


def _serves_case(user, case) -> bool:
    return bool(user.is_active and user.role in INVESTIGATING_ROLES and user.division is not None
                and case.division_code.startswith(user.division.prefix))


def investigator_account(case, actor, data) -> None:
    """Every visit names a user account in the case's area who did not enter the application (the
    other investigators may be named village cadres)."""
    users = list(data.get("investigators") or ())
    if not any(_serves_case(u, case) and u.pk != case.entered_by_id for u in users):
        raise NotPermitted(_("Separation of duties: a home visit needs among its investigators a user account "
                             "serving this area who did not enter the application."),
                           code="investigator_account")


def not_sole_investigator(case, actor, data) -> None:
    """The officer who approves was not the only user account investigating both visits of the round."""
    if actor is None:
        return
    visits = list(case.visits.filter(round=case.investigation_round).prefetch_related("investigators"))
    if len(visits) == 2 and all({u.pk for u in v.investigators.all()} == {actor.pk} for v in visits):
        raise NotPermitted(_("Separation of duties: you were the only investigator with a user account on both "
                             "home visits, so another officer must decide."), code="sole_investigator")


def no_pending_approval(case, actor, data) -> None:
    if pending_decision(case) is not None:
        raise Conflict(_("An approval is awaiting a second officer's confirmation."),
                       code="awaiting_second_approval")


def second_officer(case, actor, data) -> None:
    """The confirmation of an approval comes from another county officer than the one who approved."""
    decision = pending_decision(case)
    if decision is None:
        raise Conflict(_("No approval of this case is awaiting confirmation."), code="nothing_to_confirm")
    require_second_officer(decision.decided_by_id, actor)


def submission_complete(case, actor, data) -> None:
    missing = missing_items(case)
    if missing:
        raise DomainError(_("The application is incomplete."), code="incomplete",
                          fields={"missing": [str(m) for m in missing]})
