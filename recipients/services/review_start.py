"""Starting the due reviews of a township at once (a county officer's batch), case by case.

The nightly schedule (`reviews_create_due`) opens reviews as they fall due; an officer planning a township's
visits starts those already due now instead of waiting. Each case is locked and checked on its own (scope, role,
state, version, no open review, really due), gets one review and one audit event; a refusal names its reason
and leaves the others alone.
"""

from datetime import date

from django.db import transaction
from django.db.models import Exists, Max, OuterRef, Q
from django.utils.translation import gettext_lazy as _

from accounts.divisions import code_prefix, county_division
from accounts.models import Division, Role
from accounts.scoping import require_role, scope_queryset
from audit import services as audit
from cases.models import Case, CaseStatus
from cases.selectors import access_case_by_id
from dibao.errors import Conflict, DomainError, InvalidTransition, StaleVersion
from recipients.models import Review, ReviewKind, ReviewStatus
from recipients.services.policy import policy_for
from recipients.services.reviews import next_review_due


def review_start_due(*, actor, case_id: int, version: int | None, today: date) -> Review:
    require_role(actor, Role.COUNTY_OFFICER)
    with transaction.atomic():
        case = access_case_by_id(actor, case_id, for_update=True)
        if case.status != CaseStatus.ACTIVE:
            raise InvalidTransition(_("The case is %(status)s: only an active recipient case can be reviewed.")
                                    % {"status": case.get_status_display()})
        if version is not None and int(version) != case.version:
            raise StaleVersion()
        if Review.objects.filter(case=case, status=ReviewStatus.DUE).exists():
            raise Conflict(_("A review of this case is already open."), code="review_open")
        last = case.reviews.filter(status=ReviewStatus.COMPLETED).aggregate(last=Max("anchor_date"))["last"]
        due = next_review_due(case=case, last_anchor=last, policy=policy_for(county_division(case.division_code),
                                                                              today))
        if due is None or due > today:
            raise Conflict(_("The next review is not due yet (%(date)s).") % {"date": due.isoformat() if due else "—"},
                           code="review_not_due")
        review = Review.objects.create(case=case, division_code=case.division_code, kind=ReviewKind.SCHEDULED,
                                       due_date=due, created_by=actor)
        audit.record(actor=actor, action="review.started", obj=review, division_code=case.division_code,
                     after={"case": case.pk, "due_date": due})
    return review


def reviews_start_due(*, actor, items: list[tuple[int, int | None]], today: date) -> list[dict]:
    """Start each case's due review in its own transaction: [{"case", "ok", "reason", "result"}]."""
    results = []
    for case_id, version in items:
        try:
            review = review_start_due(actor=actor, case_id=case_id, version=version, today=today)
        except DomainError as error:
            results.append({"case": case_id, "ok": False, "reason": str(error.message), "result": None})
        else:
            results.append({"case": case_id, "ok": True, "reason": "", "result": review})
    return results


def cases_due_for_review(user, *, township: Division, today: date) -> list[Case]:
    """The township's active cases (in the user's area) with no open review whose next review is due by today,
    each with `.review_due`."""
    open_review = Review.objects.filter(case=OuterRef("pk"), status=ReviewStatus.DUE)
    cases = (scope_queryset(user, Case.objects.filter(status=CaseStatus.ACTIVE, first_payment_month__isnull=False,
                                                      division_code__startswith=code_prefix(township.code)))
             .annotate(has_open=Exists(open_review),
                       last_anchor=Max("reviews__anchor_date", filter=Q(reviews__status=ReviewStatus.COMPLETED)))
             .filter(has_open=False).select_related("household__village").order_by("division_code", "id"))
    policy = policy_for(county_division(township.code), today)
    due = []
    for case in cases:
        case.review_due = next_review_due(case=case, last_anchor=case.last_anchor, policy=policy)
        if case.review_due is not None and case.review_due <= today:
            due.append(case)
    return due
