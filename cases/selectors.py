"""Scoped reads of cases: lists with filters, queues, the case page."""

from datetime import date, timedelta

from django.db.models import Count, Prefetch, Q, QuerySet

from accounts.divisions import code_prefix
from accounts.scoping import get_in_scope, scope_queryset
from audit.models import AuditEvent
from cases.models import ACCEPTED_PENDING_STATES, Case, CaseStatus, Decision, HomeVisit, Objection, PublicNotice
from cases.workflow import today
from cases.working_days import add_working_days, load_calendar

NEAR_DEADLINE_WORKING_DAYS = 3


def near_deadline_date(on_date: date | None = None, calendar=None) -> date:
    """Cases whose deadline is on or before this date are marked (past, or within 3 working days)."""
    return add_working_days(on_date or today(), NEAR_DEADLINE_WORKING_DAYS, calendar=calendar).date


def overdue_q(near: date) -> Q:
    return Q(status__in=ACCEPTED_PENDING_STATES) & (Q(deadline__lte=near) | Q(step_deadline__lte=near))


def case_list(user, *, filters: dict | None = None) -> QuerySet:
    """Cases the user may see, with the household and village for list rows."""
    filters = filters or {}
    qs = scope_queryset(user, Case.objects.all()).select_related("household", "household__village")
    if filters.get("status"):
        qs = qs.filter(status=filters["status"])
    if filters.get("division"):
        qs = qs.filter(division_code__startswith=code_prefix(filters["division"]))
    if filters.get("category"):
        qs = qs.filter(category=filters["category"])
    if filters.get("staff_relative") in (True, "true", "1", "yes"):
        qs = qs.filter(staff_relative=True)
    elif filters.get("staff_relative") in (False, "false", "0", "no"):
        qs = qs.filter(staff_relative=False)
    if filters.get("overdue") in (True, "true", "1", "yes"):
        qs = qs.filter(overdue_q(near_deadline_date()))
    return qs


def mark_deadlines(cases, on_date: date | None = None, calendar=None):
    """Set `.deadline_flag` on each case: "overdue", "near" or "" (one calendar query for the page, none
    when the caller hands over a calendar covering the next weeks)."""
    on_date = on_date or today()
    near = near_deadline_date(on_date, calendar=calendar)
    for case in cases:
        flag = ""
        if case.status in ACCEPTED_PENDING_STATES:
            dates = [d for d in (case.deadline, case.step_deadline) if d]
            if any(d < on_date for d in dates):
                flag = "overdue"
            elif any(d <= near for d in dates):
                flag = "near"
        case.deadline_flag = flag
    return cases


def queue_counts(user) -> dict:
    """Counts for the home-page work queues in one query."""
    calendar = load_calendar(today(), today() + timedelta(days=60))
    near = near_deadline_date(calendar=calendar)
    notice_soon = add_working_days(today(), 2, calendar=calendar).date
    qs = scope_queryset(user, Case.objects.all())
    return qs.aggregate(
        drafts=Count("pk", filter=Q(status=CaseStatus.DRAFT, return_reasons="")),
        returned=Count("pk", filter=Q(status=CaseStatus.DRAFT) & ~Q(return_reasons="")),
        to_review=Count("pk", filter=Q(status=CaseStatus.SUBMITTED)),
        to_visit=Count("pk", filter=Q(status=CaseStatus.UNDER_INVESTIGATION)),
        to_notice=Count("pk", filter=Q(status=CaseStatus.INVESTIGATED)),
        notices_ending=Count("pk", filter=Q(status=CaseStatus.IN_NOTICE, notices__outcome="open",
                                            notices__ends_on__lte=notice_soon)),
        awaiting_decision=Count("pk", filter=Q(status=CaseStatus.AWAITING_DECISION)),
        overdue=Count("pk", filter=overdue_q(near)),
    )


def access_case_by_id(actor, case_id, *, for_update: bool = False) -> Case:
    """The case (with its household) if it lies in the actor's area; NotFound if not or if missing."""
    return get_in_scope(actor, Case.objects.select_related("household__village"), for_update=for_update, pk=case_id)


def case_detail(user, pk) -> Case:
    """One case in scope with everything the case page and API detail show (fixed query count)."""
    qs = (Case.objects.select_related("household", "household__village", "applicant", "individual_member",
                                      "entered_by", "decided_by")
          .prefetch_related(
              Prefetch("visits", queryset=HomeVisit.objects.prefetch_related("investigators")
                       .select_related("recorded_by")),
              Prefetch("notices", queryset=PublicNotice.objects.prefetch_related(
                  Prefetch("objections", queryset=Objection.objects.all()))),
              Prefetch("decisions", queryset=Decision.objects.select_related("decided_by"))))
    return get_in_scope(user, qs, pk=pk)


def case_events(case: Case) -> QuerySet:
    return AuditEvent.objects.filter(object_type="cases.case", object_id=str(case.pk)).order_by("created_at", "id")
