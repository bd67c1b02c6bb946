"""Moves the clock makes: a public notice whose period is over takes its case on to the decision,
nightly (`cases.tasks.close_due_notices`, beat entry "cases-close-due-notices") or when the officer ends it.

Reading a case never moves it: pages and the API say when the sweep will close the notice instead
(`notice_closes_on`), so a GET by anyone, the read-only auditor included, writes nothing.
"""

from datetime import date, timedelta

from cases import workflow
from cases.models import CaseStatus, PublicNotice
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


def notice_closes_on(notice: PublicNotice) -> date | None:
    """The day the nightly sweep closes an open notice: the first day after its last day (None once closed).

    A notice whose period is already over still shows that day (in the past) until the sweep or the officer
    closes it, so the page can say it is due.
    """
    if notice.outcome != PublicNotice.Outcome.OPEN:
        return None
    return notice.ends_on + timedelta(days=1)
