"""Direct builders for overlap tests (plain ORM rows, no services of other apps)."""

from datetime import date
from decimal import Decimal

from cases.models import Case
from households.crypto import person_key_fields
from households.idnumber import make_id_number
from households.models import Household, Member, Person, Standard
from households.persons import name_to_pinyin
from poverty_registry.models import RegistryHousehold, RegistryMember

_seq = [0]


def person(name="张三", birth=date(1980, 5, 1), sex="M", region="370283", sequence=None, number=None):
    if number is None:
        _seq[0] += 2
        seq = sequence if sequence is not None else (_seq[0] % 998) + (1 if sex == "M" else 0)
        number = make_id_number(region, birth, seq)
    return Person.objects.create(**person_key_fields(number, name), name=name,
                                 name_pinyin=name_to_pinyin(name), birth_date=birth, sex=sex, region_code=region)


def household(village, persons=(), income=Decimal("0"), **kw):
    h = Household.objects.create(village=village, division_code=village.code, address="1号",
                                 size=len(persons), per_capita_monthly_income=income, **kw)
    for i, p in enumerate(persons):
        member(h, p, relationship="head" if i == 0 else "child")
    return h


def member(h, p, relationship="child", is_active=True):
    return Member.objects.create(household=h, person=p, name=p.name, relationship=relationship, sex=p.sex,
                                 birth_date=p.birth_date, is_active=is_active)


def case(h, user, status="active", amount=Decimal("300"), **kw):
    return Case.objects.create(household=h, division_code=h.division_code, status=status, entered_by=user,
                               monthly_amount=amount, **kw)


def standard(county, amount=Decimal("800"), effective_from=date(2020, 1, 1)):
    return Standard.objects.create(county=county, monthly_amount=amount, effective_from=effective_from)


_rc = [0]


def registry(village, persons=(), status="registered", annual=Decimal("6000"), year=2025, code=None):
    _rc[0] += 1
    rh = RegistryHousehold.objects.create(year=year, registry_code=code or f"R{_rc[0]:06d}", village=village,
                                          division_code=village.code, status=status,
                                          annual_income_per_capita=annual,
                                          monitoring_type="edge" if status == "monitored" else "")
    for i, p in enumerate(persons):
        RegistryMember.objects.create(registry_household=rh, person=p, name=p.name, is_head=i == 0)
    return rh


def drop_unique_membership():
    """Let a test plant a person active in two households (the index forbids it; legacy data may not)."""
    from django.db import connection

    with connection.cursor() as c:
        if connection.vendor == "postgresql":
            c.execute("SET CONSTRAINTS ALL IMMEDIATE")
        c.execute("DROP INDEX member_one_active_household_per_person")
