"""A case approved through the real workflow, then reviewed, paid and exited here."""

from datetime import timedelta
from decimal import Decimal

import pytest

from cases.models import CaseStatus
from cases.months import add_months, first_of_month
from recipients.models import BenefitChange, PaymentLine
from recipients.services import case_exit, payment_roll_generate, review_complete, review_report_change
from tests.cases.conftest import TODAY, Walker, new_draft
from tests.cases.factories import make_household, make_standard
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_approved_case_is_paid_adjusted_and_exited(village, county, village_staff, county_officer, county_officer2,
                                                   township_staff, township):
    make_standard(county, Decimal("784"), TODAY.replace(year=TODAY.year - 2))
    investigator = UserFactory(username="township2", role="township_staff", division=township)
    walker = Walker(village_staff, county_officer, county_officer2, township_staff, investigator)
    household = make_household(village, members=2, monthly_income=Decimal("600"))
    case = walker.to(new_draft(village_staff, household), CaseStatus.ACTIVE)
    first = case.first_payment_month
    assert case.monthly_amount == Decimal("968.00")  # (784 - 300) x 2

    roll = payment_roll_generate(actor=county_officer, county=county, month=first, today=first)
    line = PaymentLine.objects.get(roll=roll)
    assert (line.case_id, line.amount, line.payee_name) == (case.pk, Decimal("968.00"), household.head_name)
    assert line.payee_id_masked.startswith("370283") and line.bank_account == household.bank_account
    before = payment_roll_generate(actor=county_officer, county=county, month=add_months(first, -1), today=first)
    assert before.line_count == 0  # nothing before the first payment month

    review = review_report_change(actor=village_staff, case=case, reported_change="妻子打零工", today=first)
    review = review_complete(actor=county_officer, review=review, outcome="adjust", findings="零工月收入约400元",
                             verified_per_capita_income="500.00", today=first + timedelta(days=3))
    assert review.new_amount == Decimal("568.00")  # (784 - 500) x 2, same calculator as the approval
    change = BenefitChange.objects.get(case=case)
    assert change.effective_month == add_months(first_of_month(first), 1)
    assert payment_roll_generate(actor=county_officer, county=county, month=first,
                                 today=first).total_amount == Decimal("968.00")
    second = add_months(first, 1)
    assert payment_roll_generate(actor=county_officer, county=county, month=second,
                                 today=second).total_amount == Decimal("568.00")

    case.refresh_from_db()
    case_exit(actor=county_officer, case=case, kind="death", reason="户主去世", effective_month=add_months(first, 2))
    third = add_months(first, 2)
    assert payment_roll_generate(actor=county_officer, county=county, month=third, today=third).line_count == 0
