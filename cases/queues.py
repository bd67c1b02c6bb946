"""The work queues: what is due for a user, by working days left, and the case list's sort orders.

The home page shows one table merged from every app's panel (`due` rows, see accounts.views.home); this
module gives the cases' rows. A row's `days_left` counts working days from today to its due date
(negative: overdue); a step with no time limit of its own (a submission waiting to be accepted) has no
days left and shows how long it has waited instead.
"""

from datetime import date, timedelta

from django.db.models import DateField, F, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce, Least, TruncDate
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from accounts.models import Role
from accounts.scoping import scope_queryset
from cases.models import ACCEPTED_PENDING_STATES, Case, CaseStatus, PublicNotice
from cases.working_days import Calendar, load_calendar, working_days_between

S = CaseStatus

# What each role does next with a case in each state (the home table's "step" column).
STEP_LABELS = {
    S.DRAFT: _("Returned: correct and resubmit"),
    S.SUBMITTED: _("To accept"),
    S.UNDER_INVESTIGATION: _("Home visits to record"),
    S.INVESTIGATED: _("Ready for public notice"),
    S.IN_NOTICE: _("Notice ending"),
    S.AWAITING_DECISION: _("Decision due"),
}
ROLE_STEPS = {
    Role.VILLAGE_STAFF: (S.DRAFT,),
    Role.TOWNSHIP_STAFF: (S.DRAFT, S.UNDER_INVESTIGATION),
    Role.COUNTY_OFFICER: (S.SUBMITTED, S.UNDER_INVESTIGATION, S.INVESTIGATED, S.IN_NOTICE, S.AWAITING_DECISION),
}
HOME_ROWS = 30


def effective_deadline():
    """The nearer of the case's two limits (the whole procedure, the current step); NULL when it has none.
    Written without relying on LEAST skipping NULLs (PostgreSQL does, SQLite does not)."""
    return Least(Coalesce("step_deadline", "deadline"), Coalesce("deadline", "step_deadline"))


def open_notice_ends():
    return Subquery(PublicNotice.objects.filter(case=OuterRef("pk"), outcome=PublicNotice.Outcome.OPEN)
                    .order_by("-id").values("ends_on")[:1], output_field=DateField())


# ?sort= on the case list: the whitelist (anything else is a 400 naming the field).
CASE_SORTS = {
    "deadline": (F("due_on").asc(nulls_last=True), "id"),
    "-deadline": (F("due_on").desc(nulls_last=True), "-id"),
    "submitted": (F("submitted_at").asc(nulls_last=True), "id"),
    "-submitted": (F("submitted_at").desc(nulls_last=True), "-id"),
    "household": ("household__head_name", "id"),
    "-household": ("-household__head_name", "-id"),
    "village": ("household__village__name", "id"),
    "-village": ("-household__village__name", "-id"),
    "status": ("status", "id"),
    "-status": ("-status", "-id"),
    "id": ("id",),
    "-id": ("-id",),
}
DEFAULT_SORT = "deadline"


def sort_cases(qs: QuerySet, sort: str) -> QuerySet:
    return qs.annotate(due_on=effective_deadline()).order_by(*CASE_SORTS[sort])


def calendar_for(dates, on_date: date) -> Calendar:
    """One calendar (one query) covering today and every date given."""
    dates = [d for d in dates if d]
    return load_calendar(min([on_date, *dates]), max([on_date, *dates]))


def list_calendar(cases, on_date: date) -> Calendar:
    """One calendar for a page of cases: their deadlines, and the weeks ahead (the "near" mark)."""
    dates = [d for c in cases for d in (c.deadline, c.step_deadline) if d]
    return calendar_for([*dates, on_date + timedelta(days=30)], on_date)


def set_days_left(cases, on_date: date, calendar: Calendar | None = None):
    """`.days_left` on each case: working days to its nearer deadline while the limits run, else None."""
    cases = list(cases)
    dues = {}
    for case in cases:
        limits = [d for d in (case.deadline, case.step_deadline) if d]
        dues[case.pk] = min(limits) if limits and case.status in ACCEPTED_PENDING_STATES else None
    if calendar is None and any(dues.values()):
        calendar = calendar_for(dues.values(), on_date)
    for case in cases:
        due = dues[case.pk]
        case.days_left = working_days_between(on_date, due, calendar=calendar) if due else None
    return cases


def due_case_rows(user, *, on_date: date, limit: int = HOME_ROWS) -> list[dict]:
    """The user's cases that wait for them, nearest due date first (two queries: cases, calendar)."""
    steps = ROLE_STEPS.get(user.role) if not user.is_admin_role else None
    if not steps:
        return []
    wanted = Q(status__in=[s for s in steps if s != S.DRAFT])
    if S.DRAFT in steps:
        wanted |= Q(status=S.DRAFT) & ~Q(return_reasons="")
    qs = (scope_queryset(user, Case.objects.filter(wanted))
          .select_related("household__village")
          .annotate(notice_ends=open_notice_ends(), submitted_on=TruncDate("submitted_at"))
          .annotate(due_on=Coalesce("notice_ends", effective_deadline()))
          .order_by(F("due_on").asc(nulls_last=True), "submitted_at", "id")[:limit])
    cases = list(qs)
    if not cases:
        return []
    calendar = calendar_for([c.due_on for c in cases] + [c.submitted_on for c in cases], on_date)
    rows = []
    for case in cases:
        note = ""
        if case.status == S.IN_NOTICE and case.notice_ends:
            closes = case.notice_ends + timedelta(days=1)
            note = _("The notice closes by itself on %(date)s.") % {"date": closes.isoformat()}
        waited = (working_days_between(case.submitted_on, on_date, calendar=calendar)
                  if case.due_on is None and case.submitted_on else None)
        rows.append({
            "step": STEP_LABELS[case.status], "title": f"{case.household.head_name} · {case.household.village.name}",
            "url": reverse("cases:detail", args=[case.pk]), "due": case.due_on,
            "days_left": working_days_between(on_date, case.due_on, calendar=calendar) if case.due_on else None,
            "waited": waited, "note": note,
        })
    return rows
