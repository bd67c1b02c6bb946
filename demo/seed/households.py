"""Demo households for Pingdu (370283): ~2,000 across the 20 demo villages, seeded random.

Idempotent: a second run finds the demo households and stops. The first 20 go through the
real service (so the audit log has history); the rest are bulk-inserted with the same
figures the service would compute (households.income.compute_income).
"""

import random
from datetime import date
from decimal import Decimal

from django.db import connection, transaction
from django.utils import timezone

from accounts.models import Division, Level, User
from demo.clock import at, go_live_date
from households import crypto, services
from households.idnumber import make_id_number
from households.income import ELDERLY_AGE, MINOR_AGE, age_on, compute_income
from households.models import (
    DEFAULT_ALLOWED_VEHICLES,
    DEFAULT_EXCLUDED_INCOME_KINDS,
    Asset,
    Household,
    IncomeItem,
    IncomePolicy,
    Member,
    Person,
    Standard,
)
from households.persons import name_to_pinyin

COUNTY_CODE = "370283000000"
REGION = "370283"
TARGET = 2000
VIA_SERVICE = 20
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华建国玉梅志红丹玲德福海燕春生金凤宝荣淑珍文林"
BANKS = ["平度农商银行", "中国农业银行平度支行", "中国邮政储蓄银行平度支行"]
STREETS = ["前街", "后街", "东巷", "西巷", "中心街", "南岭", "北坡"]


def _name(rng, surname=None):
    return (surname or rng.choice(SURNAMES)) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))


class _Ids:
    def __init__(self, rng):
        self.rng, self.used = rng, set()

    def make(self, birth: date, male: bool) -> str:
        while True:
            seq = self.rng.randrange(0, 999)
            if (seq % 2 == 1) != male:
                seq = (seq + 1) % 1000
            number = make_id_number(REGION, birth, seq)
            if number not in self.used:
                self.used.add(number)
                return number


def _birth(rng, age_from, age_to, today):
    age = rng.randint(age_from, age_to)
    return date(today.year - age, rng.randint(1, 12), rng.randint(1, 28))


def _plan(rng, ids, today):
    """One household as service-shaped data (members, incomes, assets)."""
    surname = rng.choice(SURNAMES)
    size = rng.choices([1, 2, 3, 4, 5, 6], weights=[12, 25, 22, 22, 12, 7])[0]
    head_male = rng.random() < 0.75
    head_birth = _birth(rng, 28, 85, today)
    members = [{"id_number": ids.make(head_birth, head_male), "name": _name(rng, surname), "relationship": "head",
                "_birth": head_birth}]
    for i in range(1, size):
        if i == 1 and rng.random() < 0.8:
            b = date(min(today.year - 20, head_birth.year + rng.randint(-4, 4)), rng.randint(1, 12), rng.randint(1, 28))
            members.append({"id_number": ids.make(b, not head_male), "name": _name(rng), "relationship": "spouse",
                            "_birth": b})
        elif head_birth.year < today.year - 65 and rng.random() < 0.5:
            b = _birth(rng, 20, 45, today)
            members.append({"id_number": ids.make(b, rng.random() < 0.5), "name": _name(rng, surname),
                            "relationship": "child", "_birth": b})
        else:
            lo = max(0, today.year - head_birth.year - 45)
            hi = max(lo, min(30, today.year - head_birth.year - 18))
            b = _birth(rng, lo, hi, today)
            members.append({"id_number": ids.make(b, rng.random() < 0.5), "name": _name(rng, surname),
                            "relationship": "child",
                            "student_level": "primary" if age_on(b, today) in range(6, 12) else "",
                            "_birth": b})
    for m in members:
        roll = rng.random()
        if roll < 0.06:
            m.update(health="disabled", disability_grade=rng.randint(1, 4),
                     disability_type=rng.choice(["physical", "intellectual", "visual", "mental"]), labour_capacity="none")
        elif roll < 0.11:
            m.update(health="serious", labour_capacity="partial")
        elif roll < 0.25:
            m.update(health="chronic")
        age = age_on(m["_birth"], today)
        if age >= ELDERLY_AGE or age < MINOR_AGE:
            m.setdefault("labour_capacity", "none")
    if size > 2 and rng.random() < 0.03:
        members[-1].update(counted=False, not_counted_reason="prison")
    # Per-capita income relative to the standard: about a third eligible, a quarter edge, the rest above.
    band = rng.random()
    ratio = rng.uniform(0.2, 0.98) if band < 0.35 else rng.uniform(1.0, 1.5) if band < 0.6 else rng.uniform(1.5, 4.0)
    counted = sum(1 for m in members if m.get("counted", True))
    net = Decimal(ratio) * Decimal("784") * counted
    workers = [i for i, m in enumerate(members) if MINOR_AGE <= age_on(m["_birth"], today) < ELDERLY_AGE
               and m.get("health", "healthy") in ("healthy", "chronic") and m.get("counted", True)] or [0]
    incomes = []
    property_income = Decimal(rng.choice([0, 0, 0, 50, 120, 200]))
    wages = max(Decimal("0"), (net - property_income) / Decimal("0.9"))
    share = (wages / len(workers)).quantize(Decimal("1"))
    for w in workers:
        incomes.append({"member_id_number": members[w]["id_number"], "kind": rng.choice(["wages", "wages", "business"]),
                        "monthly_amount": share, "period_months": 12})
    if property_income:
        incomes.append({"kind": "property", "monthly_amount": property_income, "period_months": 12})
    for m in members:
        if age_on(m["_birth"], today) >= ELDERLY_AGE:
            incomes.append({"member_id_number": m["id_number"], "kind": "basic_pension",
                            "monthly_amount": Decimal("180"), "period_months": 12})
        if m.get("health") in ("disabled", "serious"):
            incomes.append({"member_id_number": m["id_number"], "kind": "social_assistance",
                            "monthly_amount": Decimal("100"), "period_months": 12,
                            "deductible_costs": Decimal(rng.choice([0, 80, 150]))})
    assets = [{"kind": "house", "value": Decimal(rng.randrange(30000, 200000, 1000)), "description": "自住房"}]
    if rng.random() < 0.4:
        assets.append({"kind": "deposits", "value": Decimal(rng.randrange(1000, 60000, 500))})
    if rng.random() < 0.2:
        assets.append({"kind": "vehicle", "vehicle_type": rng.choice(["ebike", "motorcycle", "car", "agricultural"]),
                       "value": Decimal(rng.randrange(1000, 60000, 500))})
    if rng.random() < 0.02:
        assets.append({"kind": "business_registration", "description": "个体工商户"})
    return members, incomes, assets


def _bank(index: int) -> dict:
    """Nine households in ten have a bank card for the payments (the rest must add one to apply)."""
    if index % 10 == 9:
        return {}
    return {"bank_name": BANKS[index % len(BANKS)], "bank_account": f"62215{index:014d}"}


def _config(county):
    Standard.objects.get_or_create(county=county, effective_from=date(2024, 1, 1),
                                   defaults={"monthly_amount": Decimal("740")})
    Standard.objects.get_or_create(county=county, effective_from=date(2025, 1, 1),
                                   defaults={"monthly_amount": Decimal("784")})
    policy, _created = IncomePolicy.objects.get_or_create(
        county=county, effective_from=date(2024, 1, 1),
        defaults={"work_cost_mode": IncomePolicy.WorkCostMode.PERCENT_OF_EARNINGS,
                  "work_cost_percent": Decimal("10"),
                  "excluded_income_kinds": [str(k) for k in DEFAULT_EXCLUDED_INCOME_KINDS],
                  "allowed_vehicle_types": [str(v) for v in DEFAULT_ALLOWED_VEHICLES]})
    return policy


def seed(stdout) -> None:
    county = Division.objects.filter(code=COUNTY_CODE).first()
    if county is None:
        stdout.write("households: no demo county; run the accounts seed first")
        return
    policy = _config(county)
    existing = Household.objects.filter(division_code__startswith=REGION).count()
    if existing >= TARGET // 2:
        stdout.write(f"households: {existing} demo households already there")
        return
    villages = list(Division.objects.filter(level=Level.VILLAGE, code__startswith=REGION).order_by("code"))
    actor = User.objects.filter(username="county1").first() or User.objects.filter(role="admin").first()
    rng = random.Random(20260101)
    # The register was entered when the county went live, before the oldest demo application;
    # ages and birth dates are as of that day.
    went_live = go_live_date(timezone.localdate())
    ids = _Ids(rng)
    plans = [(villages[i % len(villages)], *_plan(rng, ids, went_live)) for i in range(TARGET)]
    with at(went_live):
        for index, (village, members, incomes, assets) in enumerate(plans[:VIA_SERVICE]):
            services.household_create(actor=actor, village=village, data={
                "address": f"{village.name}{rng.choice(STREETS)}{rng.randint(1, 120)}号",
                "contact_phone": f"13{rng.randint(100000000, 999999999)}", **_bank(index),
                "members": [{k: v for k, v in m.items() if not k.startswith("_")} for m in members],
                "incomes": incomes, "assets": assets})
        with transaction.atomic():
            _bulk(plans[VIA_SERVICE:], actor, policy, rng, went_live)
    stdout.write(f"households: {Household.objects.filter(division_code__startswith=REGION).count()} demo households")


def _bulk(plans, actor, policy, rng, today):
    standard = Decimal("784")
    households = [Household(village=v, division_code=v.code, created_by=actor,
                            address=f"{v.name}{rng.choice(STREETS)}{rng.randint(1, 120)}号",
                            contact_phone=f"13{rng.randint(100000000, 999999999)}", **_bank(VIA_SERVICE + index),
                            head_name=members[0]["name"]) for index, (v, members, _i, _a) in enumerate(plans)]
    Household.objects.bulk_create(households, batch_size=500)
    persons = []
    for _v, members, _i, _a in plans:
        for m in members:
            persons.append(Person(**crypto.person_key_fields(m["id_number"], m["name"]),
                                  name=m["name"], name_pinyin=name_to_pinyin(m["name"]), birth_date=m["_birth"],
                                  sex="M" if int(m["id_number"][16]) % 2 else "F", region_code=REGION))
    Person.objects.bulk_create(persons, batch_size=1000)
    person_ids = dict(Person.objects.filter(id_hash__in=[p.id_hash for p in persons]).values_list("id_hash", "id"))
    member_objs = []
    for h, (_v, members, _i, _a) in zip(households, plans, strict=True):
        for m in members:
            member_objs.append(Member(
                household=h, person_id=person_ids[crypto.blind_index(m["id_number"])], name=m["name"],
                relationship=m["relationship"], sex="M" if int(m["id_number"][16]) % 2 else "F",
                birth_date=m["_birth"], labour_capacity=m.get("labour_capacity", "full"),
                health=m.get("health", "healthy"), disability_grade=m.get("disability_grade"),
                disability_type=m.get("disability_type", ""), student_level=m.get("student_level", ""),
                counted=m.get("counted", True), not_counted_reason=m.get("not_counted_reason", "")))
    Member.objects.bulk_create(member_objs, batch_size=1000)
    by_number = {}
    cursor = iter(member_objs)
    for _v, members, _i, _a in plans:
        for m in members:
            by_number[m["id_number"]] = next(cursor)
    income_objs, asset_objs = [], []
    for h, (_v, members, incomes, assets) in zip(households, plans, strict=True):
        items = []
        for row in incomes:
            member = by_number.get(row.get("member_id_number"))
            items.append(IncomeItem(household=h, member=member, kind=row["kind"], monthly_amount=row["monthly_amount"],
                                    period_months=row["period_months"],
                                    deductible_costs=row.get("deductible_costs", Decimal("0"))))
        income_objs += items
        asset_objs += [Asset(household=h, kind=a["kind"], vehicle_type=a.get("vehicle_type", ""),
                             value=a.get("value", Decimal("0")), description=a.get("description", ""))
                       for a in assets]
        hm = [by_number[m["id_number"]] for m in members]
        fig = compute_income(members=hm, incomes=items, policy=policy, standard_amount=standard)
        h.size, h.counted_members = len(hm), fig.counted_members
        h.elderly_count = sum(1 for m in hm if age_on(m.birth_date, today) >= ELDERLY_AGE)
        h.minor_count = sum(1 for m in hm if age_on(m.birth_date, today) < MINOR_AGE)
        h.disabled_count = sum(1 for m in hm if m.is_severely_disabled)
        h.seriously_ill_count = sum(1 for m in hm if m.health == Member.Health.SERIOUS)
        h.monthly_counted_income, h.per_capita_monthly_income = fig.monthly_counted_income, fig.per_capita_monthly_income
    IncomeItem.objects.bulk_create(income_objs, batch_size=1000)
    Asset.objects.bulk_create(asset_objs, batch_size=1000)
    # One parameterised UPDATE per row through executemany: bulk_update's CASE WHEN over 2,000 rows
    # and eight columns took seven seconds on SQLite; this takes a fraction of one.
    fields = ["size", "counted_members", "elderly_count", "minor_count", "disabled_count", "seriously_ill_count",
              "monthly_counted_income", "per_capita_monthly_income"]
    table = connection.ops.quote_name(Household._meta.db_table)
    assignments = ", ".join(f"{connection.ops.quote_name(f)} = %s" for f in fields)
    with connection.cursor() as cursor:
        cursor.executemany(f"UPDATE {table} SET {assignments} WHERE id = %s",
                           [[getattr(h, f) for f in fields] + [h.pk] for h in households])
