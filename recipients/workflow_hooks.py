"""Recipients owns exits: the handler of the case workflow's "exit" row (API and page) is here."""

from datetime import date

from cases import workflow
from cases.models import Case
from cases.months import next_month
from recipients.services import case_exit


def exit_through_recipients(*, actor, case: Case, reason: str = "", kind: str = "death",
                            effective_month: date | None = None, amount_to_recover=None) -> Case:
    """`workflow.run` has checked scope, role, state and version on the locked case: the one exit service."""
    case_exit(actor=actor, case=case, kind=kind, reason=reason,
              effective_month=effective_month or next_month(workflow.today()),
              amount_to_recover=amount_to_recover, version=case.version)
    return Case.objects.get(pk=case.pk)
