"""Scoped reads of the recipients app."""

from datetime import date

from django.db.models import Count, IntegerField, Subquery, Sum
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.scoping import get_in_scope, scope_queryset
from cases.working_days import load_calendar, working_days_between
from recipients.models import CaseExit, PaymentLine, PaymentRoll, Review, ReviewStatus, RollStatus


def reviews_visible(user):
    return scope_queryset(user, Review.objects.select_related("case__household__village"))


def access_review_by_id(actor, review_id, *, for_update: bool = False) -> Review:
    """The review (with its case, household and village) in the actor's area; NotFound if not or if missing."""
    return get_in_scope(actor, Review.objects.select_related("case__household__village", "case__applicant",
                                                            "completed_by"), for_update=for_update, pk=review_id)


def reviews_due(user, *, today: date):
    return reviews_visible(user).filter(status=ReviewStatus.DUE).order_by("due_date", "id")


def due_review_rows(user, *, today: date, limit: int = 30) -> list[dict]:
    """The home page's due rows: reviews due, nearest first, with working days left (two queries)."""
    reviews = list(reviews_due(user, today=today)[:limit])
    dates = [r.due_date for r in reviews]
    calendar = load_calendar(min([today, *dates]), max([today, *dates])) if reviews else None
    return [{"step": _("Review due"), "title": f"{r.case.household.head_name} · {r.case.household.village.name}",
             "url": reverse("recipients:review", args=[r.pk]), "due": r.due_date,
             "days_left": working_days_between(today, r.due_date, calendar=calendar), "waited": None, "note": ""}
            for r in reviews]


def _count(queryset, group_field: str):
    """A scalar subquery counting the rows of `queryset` (grouped on a field they all share)."""
    counted = queryset.order_by().values(group_field).annotate(n=Count("id")).values("n")[:1]
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


def home_counts(user, *, today: date) -> dict:
    """Reviews due/overdue and rolls to review/finalise in the user's area, in one query (home page)."""
    reviews = scope_queryset(user, Review.objects.filter(status=ReviewStatus.DUE))
    rolls = scope_queryset(user, PaymentRoll.objects.all())
    return (User.objects.filter(pk=user.pk).annotate(
        due=_count(reviews, "status"), overdue=_count(reviews.filter(due_date__lt=today), "status"),
        to_review=_count(rolls.filter(status=RollStatus.DRAFT), "status"),
        to_finalise=_count(rolls.filter(status=RollStatus.REVIEWED), "status"),
    ).values("due", "overdue", "to_review", "to_finalise").get())


def rolls_visible(user):
    return scope_queryset(user, PaymentRoll.objects.select_related("county", "generated_by", "reviewed_by",
                                                                   "finalised_by"))


def access_roll_by_id(actor, roll_id, *, for_update: bool = False) -> PaymentRoll:
    """The payment roll of a county in the actor's area; NotFound if not or if missing."""
    return get_in_scope(actor, rolls_visible(actor), for_update=for_update, pk=roll_id)


def roll_lines(roll: PaymentRoll):
    return PaymentLine.objects.filter(roll=roll).order_by("village_code", "case_id")


def roll_village_totals(roll: PaymentRoll) -> list[dict]:
    return list(PaymentLine.objects.filter(roll=roll).values("village_code", "village_name")
                .annotate(households=Count("id"), total=Sum("amount")).order_by("village_code"))


def exits_visible(user):
    return scope_queryset(user, CaseExit.objects.select_related("case__household__village", "decided_by"))


def access_exit_by_id(actor, exit_id) -> CaseExit:
    """The exit (with its case and applicant) in the actor's area; NotFound if not or if missing."""
    return get_in_scope(actor, exits_visible(actor).select_related("case__applicant"), pk=exit_id)
