"""Household.has_paid_case is kept by the writers of a case's status, in their transaction.

Households read the stored flag (list badge, `has_active_case` filter and field) instead of importing
cases; these tests drive the real workflow and exit services and read the flag back from the database.
"""

import importlib
from datetime import timedelta
from decimal import Decimal

import pytest
from django.apps import apps

from cases import workflow
from cases.models import CaseStatus
from households.models import Household
from recipients.services import case_exit, gradual_exits_close
from tests.cases.conftest import TODAY, Walker, new_draft
from tests.cases.factories import make_household, make_standard
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
URL = "/api/v1/households/"


@pytest.fixture
def walker(village_staff, county_officer, county_officer2, township_staff, township, county):
    make_standard(county, Decimal("784"), TODAY.replace(year=TODAY.year - 2))
    investigator = UserFactory(username="township2", role="township_staff", division=township)
    return Walker(village_staff, county_officer, county_officer2, township_staff, investigator)


def _flag(household) -> bool:
    return Household.objects.values_list("has_paid_case", flat=True).get(pk=household.pk)


def _listed_as_paid(api, user) -> set[int]:
    results = api(user).get(URL, {"has_active_case": "true"}).json()["results"]
    return {r["id"] for r in results if r["has_active_case"]}


def test_approval_sets_the_flag_and_an_immediate_exit_clears_it(api, village, village_staff, county_officer, walker):
    household = make_household(village, members=2, monthly_income=Decimal("600"))
    other = make_household(village, members=2, monthly_income=Decimal("600"))
    case = walker.to(new_draft(village_staff, household), CaseStatus.AWAITING_DECISION)
    assert not _flag(household)
    assert _listed_as_paid(api, village_staff) == set()

    case = workflow.run("approve", actor=walker.county2, case=case, category="B")
    assert _flag(household) and not _flag(other)
    assert _listed_as_paid(api, village_staff) == {household.pk}
    unpaid = api(village_staff).get(URL, {"has_active_case": "false"}).json()["results"]
    assert [r["id"] for r in unpaid] == [other.pk]
    assert api(village_staff).get(f"{URL}{household.pk}/").json()["has_active_case"] is True

    case_exit(actor=county_officer, case=case, kind="death", reason="户主去世", effective_month=case.first_payment_month)
    assert not _flag(household)
    assert _listed_as_paid(api, village_staff) == set()
    assert api(village_staff).get(f"{URL}{household.pk}/").json()["has_active_case"] is False


def test_a_gradual_exit_keeps_the_flag_until_the_schedule_ends(village, village_staff, county_officer, walker):
    household = make_household(village, members=2, monthly_income=Decimal("600"))
    case = walker.to(new_draft(village_staff, household), CaseStatus.ACTIVE)
    exit_row = case_exit(actor=county_officer, case=case, kind="income_above_line", reason="女儿在青岛务工",
                         effective_month=case.first_payment_month, on_poverty_roster=False)
    assert _flag(household)  # still paid during the gradual exit
    assert gradual_exits_close(today=exit_row.end_month - timedelta(days=1)) == 0
    assert _flag(household)
    assert gradual_exits_close(today=exit_row.end_month) == 1
    assert not _flag(household)


def test_rejection_and_withdrawal_leave_the_flag_off(village, village_staff, walker):
    rejected = make_household(village, members=2, monthly_income=Decimal("600"))
    withdrawn = make_household(village, members=2, monthly_income=Decimal("600"))
    walker.to(new_draft(village_staff, rejected), CaseStatus.REJECTED)
    walker.to(new_draft(village_staff, withdrawn), CaseStatus.WITHDRAWN)
    assert not _flag(rejected) and not _flag(withdrawn)


def test_the_data_migration_fills_the_flag_from_the_cases(village, village_staff, walker):
    paid = make_household(village, members=2, monthly_income=Decimal("600"))
    unpaid = make_household(village, members=2, monthly_income=Decimal("600"))
    walker.to(new_draft(village_staff, paid), CaseStatus.ACTIVE)
    walker.to(new_draft(village_staff, unpaid), CaseStatus.REJECTED)
    Household.objects.filter(pk=paid.pk).update(has_paid_case=False)
    Household.objects.filter(pk=unpaid.pk).update(has_paid_case=True)

    importlib.import_module("cases.migrations.0006_fill_household_has_paid_case").fill(apps, None)
    assert _flag(paid) and not _flag(unpaid)
