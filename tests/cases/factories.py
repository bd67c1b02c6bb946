"""Test households and cases built through the ORM and the person index (no households services)."""

import itertools
from datetime import date
from decimal import Decimal

from households.idnumber import make_id_number
from households.models import Household, IncomeItem, Member, Standard
from households.persons import person_get_or_create

_seq = itertools.count(1)


def make_household(village, *, members=2, monthly_income=Decimal("600"), bank_account="6222020200112233",
                   with_income=True, with_head=True, elderly=0, minors=0, disabled=0, ill=0):
    """A household of `members` adults (head first) with denormalised figures set directly."""
    n = next(_seq)
    household = Household.objects.create(
        village=village, division_code=village.code, address=f"{village.name}{n}号",
        bank_name="农商银行" if bank_account else "", bank_account=bank_account or "",
        head_name=f"户主{n}", size=members, counted_members=members,
        elderly_count=elderly, minor_count=minors, disabled_count=disabled, seriously_ill_count=ill,
        monthly_counted_income=monthly_income,
        per_capita_monthly_income=(monthly_income / members).quantize(Decimal("0.01")) if members else 0,
    )
    for index in range(members):
        seq = (n * 10 + index) % 1000
        number = make_id_number("370283", date(1960 + index, 1 + n % 12, 1 + index), seq)
        name = f"户主{n}" if index == 0 else f"成员{n}-{index}"
        person = person_get_or_create(id_number=number, name=name)
        relationship = Member.Relationship.HEAD if (index == 0 and with_head) else Member.Relationship.CHILD
        Member.objects.create(household=household, person=person, name=name, relationship=relationship,
                              sex=person.sex, birth_date=person.birth_date)
    if with_income and members:
        IncomeItem.objects.create(household=household, kind="wages", monthly_amount=monthly_income, period_months=12)
    return household


def make_standard(county, amount=Decimal("784"), effective_from=date(2024, 1, 1)):
    return Standard.objects.get_or_create(county=county, effective_from=effective_from,
                                          defaults={"monthly_amount": amount})[0]
