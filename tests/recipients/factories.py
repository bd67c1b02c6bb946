"""Active recipient cases built directly with the ORM (the approval workflow is another app's)."""

import itertools
from datetime import date
from decimal import Decimal

from cases.models import Case, CaseStatus
from households.idnumber import make_id_number
from households.models import Household, Member
from households.persons import person_get_or_create

_seq = itertools.count(1)


def make_household(village, *, head_name=None, bank_account="6228480012345678") -> Household:
    n = next(_seq)
    head_name = head_name or f"户主{n}"
    household = Household.objects.create(village=village, division_code=village.code, address=f"{village.name}{n}号",
                                         bank_name="农村商业银行", bank_account=bank_account, head_name=head_name,
                                         size=2, counted_members=2)
    person = person_get_or_create(id_number=make_id_number("370283", date(1960, 1, 1), n % 1000), name=head_name)
    Member.objects.create(household=household, person=person, name=head_name, relationship="head",
                          sex=person.sex, birth_date=person.birth_date)
    return household


def make_case(village, entered_by, *, amount="500.00", first_payment_month=date(2026, 1, 1), category="A",
              status=CaseStatus.ACTIVE, household=None, **extra) -> Case:
    household = household or make_household(village)
    return Case.objects.create(household=household, division_code=village.code, status=status, category=category,
                               monthly_amount=Decimal(amount), first_payment_month=first_payment_month,
                               entered_by=entered_by, **extra)
