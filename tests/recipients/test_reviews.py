from datetime import date
from decimal import Decimal

import pytest

from audit.models import AuditEvent
from cases.models import CaseStatus
from dibao.errors import DomainError, InvalidTransition, NotPermitted, StaleVersion
from recipients.models import BenefitChange, CaseExit, Review, ReviewKind, ReviewStatus
from recipients.services import review_complete, review_report_change, reviews_create_due
from tests.recipients.factories import make_case

pytestmark = pytest.mark.django_db


def test_scheduled_reviews_are_created_exactly_when_due_and_only_once(village, county_officer, policy):
    a = make_case(village, county_officer, category="A", first_payment_month=date(2026, 1, 1))
    c = make_case(village, county_officer, category="C", first_payment_month=date(2026, 1, 1))
    make_case(village, county_officer, category="C", status=CaseStatus.AWAITING_DECISION, first_payment_month=None)

    assert reviews_create_due(today=date(2026, 6, 30)) == 0
    assert reviews_create_due(today=date(2026, 7, 1)) == 1  # C: every 6 months
    assert reviews_create_due(today=date(2026, 7, 1)) == 0  # idempotent
    assert reviews_create_due(today=date(2026, 12, 31)) == 0  # C's review is open; A not yet due
    review_c = Review.objects.get(case=c)
    assert (review_c.kind, review_c.status, review_c.due_date) == ("scheduled", "due", date(2026, 7, 1))

    assert reviews_create_due(today=date(2027, 1, 1)) == 1  # A: yearly
    assert Review.objects.get(case=a).due_date == date(2027, 1, 1)
    assert AuditEvent.objects.filter(action="review.scheduled").count() == 2

    # Completing C late (in August) keeps the schedule: next due 6 months after the due date.
    review_complete(actor=county_officer, review=review_c, outcome="continue", findings="no change",
                    today=date(2026, 8, 15))
    assert reviews_create_due(today=date(2026, 12, 31)) == 0
    assert reviews_create_due(today=date(2027, 1, 1)) == 1
    assert list(Review.objects.filter(case=c).values_list("due_date", flat=True).order_by("due_date")) == [
        date(2026, 7, 1), date(2027, 1, 1)]
    assert reviews_create_due(today=date(2027, 1, 2)) == 0


def test_county_policy_sets_the_interval(village, county_officer, county):
    from recipients.models import RecipientPolicy

    RecipientPolicy.objects.create(county=county, effective_from="2020-01-01", review_months_c=3,
                                   gradual_exit_schedule=[100], gradual_exit_schedule_poverty_roster=[100])
    make_case(village, county_officer, category="C", first_payment_month=date(2026, 1, 1))
    assert reviews_create_due(today=date(2026, 3, 31)) == 0
    assert reviews_create_due(today=date(2026, 4, 1)) == 1


def test_defaults_apply_without_a_county_policy(village, county_officer):
    make_case(village, county_officer, category="B", first_payment_month=date(2026, 1, 1))
    assert reviews_create_due(today=date(2026, 12, 31)) == 0
    assert reviews_create_due(today=date(2027, 1, 1)) == 1


def test_a_reported_change_opens_an_unscheduled_review_and_restarts_the_clock(village, county_officer, village_staff,
                                                                              policy):
    case = make_case(village, county_officer, category="C", first_payment_month=date(2026, 1, 1))
    review = review_report_change(actor=village_staff, case=case, reported_change="son found work",
                                  today=date(2026, 3, 10))
    assert (review.kind, review.status, review.due_date) == (ReviewKind.CHANGE_REPORTED, "due", date(2026, 3, 10))
    # A second report while it is open adds to it rather than opening another.
    again = review_report_change(actor=village_staff, case=case, reported_change="and bought a tractor",
                                 today=date(2026, 3, 11))
    assert again.pk == review.pk and "tractor" in again.reported_change
    assert reviews_create_due(today=date(2026, 7, 1)) == 0  # a review is open
    review_complete(actor=county_officer, review=review, outcome="continue", findings="seasonal work only",
                    today=date(2026, 7, 5))
    assert reviews_create_due(today=date(2027, 1, 4)) == 0
    assert reviews_create_due(today=date(2027, 1, 5)) == 1


def test_report_change_needs_text_and_an_active_case(village, county_officer, village_staff, auditor):
    case = make_case(village, county_officer)
    with pytest.raises(DomainError) as err:
        review_report_change(actor=village_staff, case=case, reported_change="  ")
    assert "reported_change" in err.value.fields
    with pytest.raises(NotPermitted):
        review_report_change(actor=auditor, case=case, reported_change="x")
    closed = make_case(village, county_officer, status=CaseStatus.CLOSED)
    with pytest.raises(InvalidTransition):
        review_report_change(actor=village_staff, case=closed, reported_change="x")
    assert not Review.objects.exists()


def test_adjust_recalculates_with_the_calculator_and_keeps_history(village, county_officer, policy, standard):
    # A lower amount: one officer decides (a raise waits for a second: test_review_two_people.py).
    case = make_case(village, county_officer, amount="900.00", category="C", first_payment_month=date(2026, 1, 1))
    reviews_create_due(today=date(2026, 7, 1))
    review = Review.objects.get()
    done = review_complete(actor=county_officer, review=review, outcome="adjust", findings="wife works part time",
                           verified_per_capita_income="450.00", today=date(2026, 7, 3), version=review.version)
    assert done.status == ReviewStatus.COMPLETED and done.new_amount == Decimal("700.00")
    assert done.previous_amount == Decimal("900.00")
    assert done.calculation["per_capita_income"] == "450.00"
    change = BenefitChange.objects.get(case=case)
    assert (change.effective_month, change.previous_amount, change.amount) == (
        date(2026, 8, 1), Decimal("900.00"), Decimal("700.00"))
    case.refresh_from_db()
    assert case.monthly_amount == Decimal("700.00") and case.version == 2
    assert done.calculation["rules_version"] and done.calculation["income_source"] == "review"
    assert done.calculation["on_date"] == "2026-08-01" and done.calculation["counted_members"] == 2
    assert AuditEvent.objects.filter(action="case.amount_adjusted", object_id=str(case.pk)).exists()


def test_adjust_without_findings_or_income_is_refused_and_nothing_changes(village, county_officer, policy,
                                                                          standard):
    case = make_case(village, county_officer, category="C")
    reviews_create_due(today=date(2026, 7, 1))
    review = Review.objects.get()
    with pytest.raises(DomainError) as err:
        review_complete(actor=county_officer, review=review, outcome="adjust", findings=" ",
                        verified_per_capita_income="300")
    assert "findings" in err.value.fields
    with pytest.raises(DomainError) as err:
        review_complete(actor=county_officer, review=review, outcome="adjust", findings="visited")
    assert "verified_per_capita_income" in err.value.fields
    review.refresh_from_db()
    case.refresh_from_db()
    assert review.status == "due" and case.monthly_amount == Decimal("500.00")
    assert not BenefitChange.objects.exists()


def test_completing_a_review_on_a_closed_case_is_refused(village, county_officer, policy):
    case = make_case(village, county_officer, category="C")
    reviews_create_due(today=date(2026, 7, 1))
    review = Review.objects.get()
    from cases.models import Case

    Case.objects.filter(pk=case.pk).update(status=CaseStatus.CLOSED)  # closed by some other path
    with pytest.raises(InvalidTransition):
        review_complete(actor=county_officer, review=review, outcome="continue", findings="x")
    review.refresh_from_db()
    assert review.status == "due"


def test_complete_twice_stale_version_and_wrong_role(village, county_officer, auditor, policy):
    make_case(village, county_officer, category="C")
    reviews_create_due(today=date(2026, 7, 1))
    review = Review.objects.get()
    with pytest.raises(NotPermitted):
        review_complete(actor=auditor, review=review, outcome="continue")
    with pytest.raises(StaleVersion):
        review_complete(actor=county_officer, review=review, outcome="continue", version=review.version + 5)
    review_complete(actor=county_officer, review=review, outcome="continue")
    with pytest.raises(InvalidTransition):
        review_complete(actor=county_officer, review=review, outcome="continue")


def test_exit_outcome_goes_through_the_exit_service(village, county_officer, policy):
    case = make_case(village, county_officer, category="C")
    reviews_create_due(today=date(2026, 7, 1))
    review = Review.objects.get()
    review_complete(actor=county_officer, review=review, outcome="exit", findings="son earns 4000 a month",
                    exit_kind="income_above_line", exit_reason="income above the line",
                    effective_month=date(2026, 8, 1), on_poverty_roster=False, today=date(2026, 7, 5))
    case.refresh_from_db()
    assert case.status == CaseStatus.GRADUAL_EXIT
    case_exit = CaseExit.objects.get(case=case)
    assert case_exit.review_id == review.pk and case_exit.gradual_schedule == [100, 100, 80, 80, 60, 60]
    review.refresh_from_db()
    assert review.status == "completed" and review.outcome == "exit"
    # No further scheduled reviews for a case leaving the programme.
    assert reviews_create_due(today=date(2027, 6, 1)) == 0


def test_exit_outcome_without_a_reason_kind_is_refused(village, county_officer, policy):
    case = make_case(village, county_officer, category="C")
    reviews_create_due(today=date(2026, 7, 1))
    review = Review.objects.get()
    with pytest.raises(DomainError) as err:
        review_complete(actor=county_officer, review=review, outcome="exit", findings="x", exit_kind="")
    assert "kind" in err.value.fields
    case.refresh_from_db()
    review.refresh_from_db()
    assert case.status == "active" and review.status == "due"


def test_adjust_uses_the_county_rules_and_refuses_a_zero_amount(village, county_officer, policy, standard):
    from cases.models import CasePolicy

    CasePolicy.objects.create(county=standard.county, effective_from="2020-01-01", minimum_payment=Decimal("100"))
    case = make_case(village, county_officer, category="C")
    reviews_create_due(today=date(2026, 7, 1))
    review = Review.objects.get()
    done = review_complete(actor=county_officer, review=review, outcome="adjust", findings="nearly at the line",
                           verified_per_capita_income="780.40", today=date(2026, 7, 2))
    # (800 - 780.40) x 2 = 39.20, below the county minimum of 100.
    assert done.new_amount == Decimal("100.00") and done.calculation["minimum_applied"] is True
    reviews = Review.objects.filter(case=case)
    assert reviews.count() == 1
    review2 = review_report_change(actor=county_officer, case=case, reported_change="works full time",
                                   today=date(2026, 9, 1))
    with pytest.raises(DomainError) as err:
        review_complete(actor=county_officer, review=review2, outcome="adjust", findings="income above the line",
                        verified_per_capita_income="900", today=date(2026, 9, 2))
    assert "outcome" in err.value.fields
    case.refresh_from_db()
    assert case.monthly_amount == Decimal("100.00")


def test_adjust_without_a_county_standard_is_refused(village, county_officer, policy):
    from dibao.errors import Conflict

    make_case(village, county_officer, category="C")
    reviews_create_due(today=date(2026, 7, 1))
    review = Review.objects.get()
    with pytest.raises(Conflict) as err:
        review_complete(actor=county_officer, review=review, outcome="adjust", findings="x",
                        verified_per_capita_income="300")
    assert err.value.code == "no_standard"
    review.refresh_from_db()
    assert review.status == "due" and not BenefitChange.objects.exists()
