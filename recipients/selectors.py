"""Scoped reads of the recipients app."""

from datetime import date

from django.db.models import Count, Sum

from accounts.scoping import scope_queryset
from recipients.models import CaseExit, PaymentLine, PaymentRoll, Review, ReviewStatus


def reviews_visible(user):
    return scope_queryset(user, Review.objects.select_related("case__household__village"))


def reviews_due(user, *, today: date):
    return reviews_visible(user).filter(status=ReviewStatus.DUE).order_by("due_date", "id")


def review_counts(user, *, today: date) -> dict:
    qs = scope_queryset(user, Review.objects.filter(status=ReviewStatus.DUE))
    from django.db.models import Q

    return qs.aggregate(due=Count("id"), overdue=Count("id", filter=Q(due_date__lt=today)))


def rolls_visible(user):
    return scope_queryset(user, PaymentRoll.objects.select_related("county", "generated_by", "reviewed_by",
                                                                   "finalised_by"))


def roll_lines(roll: PaymentRoll):
    return PaymentLine.objects.filter(roll=roll).order_by("village_code", "case_id")


def roll_village_totals(roll: PaymentRoll) -> list[dict]:
    return list(PaymentLine.objects.filter(roll=roll).values("village_code", "village_name")
                .annotate(households=Count("id"), total=Sum("amount")).order_by("village_code"))


def exits_visible(user):
    return scope_queryset(user, CaseExit.objects.select_related("case__household__village", "decided_by"))
