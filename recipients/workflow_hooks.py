"""Recipients owns exits: the case workflow's "exit" action (API and page) runs through here."""

from datetime import date

from cases import workflow
from cases.models import Case


def next_month(today: date) -> date:
    return date(today.year + (today.month == 12), today.month % 12 + 1, 1)


def exit_through_recipients(*, actor, case, reason: str = "", version=None, kind: str = "death",
                            effective_month: date | None = None, amount_to_recover=None) -> Case:
    """Scope, role, state and version checks of the workflow table, then the one exit service."""
    from recipients.services import case_exit

    locked = workflow.lock("exit", actor=actor, case=case, version=version)
    case_exit(actor=actor, case=locked, kind=kind, reason=reason,
              effective_month=effective_month or next_month(workflow.today()),
              amount_to_recover=amount_to_recover, version=locked.version)
    return Case.objects.get(pk=locked.pk)


def register() -> None:
    workflow.IMPLEMENTATIONS["exit"] = exit_through_recipients
    workflow.ACTION_PAGES["exit"] = "recipients:exit"
