"""Moves the clock makes: a public notice whose period is over takes its case on to the decision,
nightly (`cases.tasks.close_due_notices`) and whenever someone opens the case before that ran."""

from datetime import date

from cases import workflow
from cases.models import Case, CaseStatus, PublicNotice
from dibao.errors import InvalidTransition, NotPermitted


def notices_close_due(today: date | None = None) -> int:
    """Close every notice whose period is over with no objection: the case awaits decision."""
    today = today or workflow.today()
    case_ids = list(PublicNotice.objects.filter(outcome=PublicNotice.Outcome.OPEN, ends_on__lt=today,
                                                case__status=CaseStatus.IN_NOTICE)
                    .values_list("case_id", flat=True))
    closed = 0
    for case_id in case_ids:
        try:
            workflow.run("end_notice", actor=None, case=case_id, on_date=today)
            closed += 1
        except (InvalidTransition, NotPermitted):
            continue  # someone else moved it meanwhile
    return closed


def close_notice_if_due(case: Case, today: date | None = None) -> Case:
    """Called when a user opens a case: a notice that is over moves the case on before it is shown."""
    today = today or workflow.today()
    if case.status != CaseStatus.IN_NOTICE:
        return case
    if not PublicNotice.objects.filter(case=case, outcome=PublicNotice.Outcome.OPEN, ends_on__lt=today).exists():
        return case
    try:
        return workflow.run("end_notice", actor=None, case=case.pk, on_date=today)
    except InvalidTransition:
        return Case.objects.get(pk=case.pk)
