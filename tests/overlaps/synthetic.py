"""A labelled synthetic population for the shared-registry rules (quality and speed benchmarks, tests).

`build(...)` bulk-inserts a background population (households, members, cases, registry rows that
raise no finding by construction) plus, per rule, planted positives and realistic near misses:
same name different person (common surnames, same birth date), twins (same birth date, sequential
ID numbers, different names), one-digit typos that flip the sex digit, closed cases, lifted or
covered registry households, incomes just outside the thresholds. It returns the truth: the subject
keys each rule should raise. Random background coincidences that the rule legitimately matches are
counted as false positives by the quality script, so precision is not flattered.
"""

import random
from datetime import date, timedelta
from decimal import Decimal

from cases.models import Case
from households.crypto import person_key_fields
from households.idnumber import check_char
from households.models import Household, Member, Person
from households.persons import name_to_pinyin
from poverty_registry.models import RegistryHousehold, RegistryMember

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = ["伟", "芳", "娜", "秀英", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超",
         "秀兰", "霞", "平", "刚", "桂英", "建华", "文", "华", "金凤", "建国", "玉兰", "志强"]
HOMOPHONE = {"王": "汪", "李": "黎", "张": "章", "刘": "柳", "陈": "沉", "杨": "阳", "黄": "皇", "赵": "照",
             "吴": "伍", "周": "舟", "徐": "许", "孙": "荪", "马": "玛", "朱": "珠", "胡": "湖", "郭": "国",
             "何": "和", "高": "皋", "林": "琳", "罗": "萝"}
REGIONS = ["370283", "370281", "370285", "370211"]
STANDARD = Decimal("800")


class Builder:
    def __init__(self, villages, user, rng):
        self.villages, self.user, self.rng = villages, user, rng
        self.used = set()
        self.persons, self.households, self.members, self.cases = [], [], [], []
        self.registry, self.registry_members = [], []

    # -- rows ---------------------------------------------------------------------------------------
    def id_number(self, region, birth, seq, check=None):
        first17 = f"{region}{birth:%Y%m%d}{seq:03d}"
        return first17 + (check or check_char(first17))

    def fresh_seq(self, region, birth, sex):
        while True:
            seq = self.rng.randrange(0, 999)
            if (seq % 2 == 1) != (sex == "M"):
                seq += 1
            key = f"{region}{birth:%Y%m%d}{seq:03d}"
            if seq <= 999 and key not in self.used:
                return seq

    def person(self, name=None, birth=None, sex=None, region=None, number=None):
        rng = self.rng
        name = name or rng.choice(SURNAMES) + rng.choice(GIVEN)
        birth = birth or date(1940, 1, 1) + timedelta(days=rng.randrange(0, 27000))
        sex = sex or rng.choice("MF")
        region = region or rng.choice(REGIONS)
        if number is None:
            number = self.id_number(region, birth, self.fresh_seq(region, birth, sex))
        if number[:17] in self.used and number[17] == check_char(number[:17]):
            raise ValueError("duplicate synthetic id")
        self.used.add(number[:17])
        p = Person(**person_key_fields(number, name), name=name,
                   name_pinyin=name_to_pinyin(name), birth_date=birth, sex=sex, region_code=region)
        p._number = number
        self.persons.append(p)
        return p

    def household(self, persons, income, village=None):
        village = village or self.rng.choice(self.villages)
        h = Household(village=village, division_code=village.code, address="synthetic", size=len(persons),
                      counted_members=len(persons), per_capita_monthly_income=income,
                      head_name=persons[0].name if persons else "")
        h._persons = [(p, True) for p in persons]
        self.households.append(h)
        return h

    def member(self, h, p, active=True):
        h._persons.append((p, active))

    def case(self, h, status="active", staff_relative=False):
        c = Case(household=h, status=status, entered_by=self.user, monthly_amount=Decimal("300"),
                 staff_relative=staff_relative)
        self.cases.append(c)
        return c

    def registry_household(self, persons, status, annual, village=None):
        village = village or self.rng.choice(self.villages)
        rh = RegistryHousehold(year=2025, registry_code=f"SYN{len(self.registry) + 1:08d}", village=village,
                               division_code=village.code, status=status, annual_income_per_capita=annual,
                               monitoring_type="edge" if status == "monitored" else "")
        rh._persons = list(persons)
        self.registry.append(rh)
        return rh

    # -- save ---------------------------------------------------------------------------------------
    def save(self, batch=5000):
        Person.objects.bulk_create(self.persons, batch_size=batch)
        Household.objects.bulk_create(self.households, batch_size=batch)
        members = []
        for h in self.households:
            for i, (p, active) in enumerate(h._persons):
                members.append(Member(household=h, person=p, name=p.name, sex=p.sex, birth_date=p.birth_date,
                                      relationship="head" if i == 0 and active else "child", is_active=active))
        Member.objects.bulk_create(members, batch_size=batch)
        for c in self.cases:
            c.household_id, c.division_code = c.household.pk, c.household.division_code
        Case.objects.bulk_create(self.cases, batch_size=batch)
        RegistryHousehold.objects.bulk_create(self.registry, batch_size=batch)
        RegistryMember.objects.bulk_create(
            [RegistryMember(registry_household=rh, person=p, name=p.name, is_head=i == 0)
             for rh in self.registry for i, p in enumerate(rh._persons)], batch_size=batch)


def build(*, villages, user, n_persons=2000, planted=20, seed=7, duplicate_memberships=False):
    """Build the population; returns {rule code: set of subject keys that should be raised}."""
    rng = random.Random(seed)
    b = Builder(villages, user, rng)
    truth_objs = {k: [] for k in ("DUPLICATE_PERSON_HOUSEHOLDS", "DOUBLE_DIBAO", "PROBABLE_DUPLICATE",
                                  "PROTECTION_GAP", "INELIGIBLE_RECIPIENT", "STATUS_CONFLICT", "STAFF_RELATIVE",
                                  "EDGE_HOUSEHOLD", "APPLICATION_ROSTER_CONFLICT")}

    def rich():
        return Decimal(rng.randrange(1300, 5000))

    # background: households of 1-5 persons; poor ones (< standard) have an active case
    made = 0
    while made < n_persons:
        size = min(rng.randint(1, 5), n_persons - made)
        persons = [b.person() for _ in range(size)]
        made += size
        if rng.random() < 0.15:
            b.case(b.household(persons, Decimal(rng.randrange(100, 790))), status=rng.choice(
                ["active", "active", "gradual_exit", "submitted"]))
            continue
        h = b.household(persons, rich())
        if rng.random() < 0.3:  # registered but well above the line and consistent: no finding
            b.registry_household(persons, "registered", h.per_capita_monthly_income * 12)
    for i in range(planted):
        # DOUBLE_DIBAO: in A (active case) and left B whose case is still pending; near miss: B closed
        p = b.person()
        a = b.household([p, b.person()], Decimal("500"))
        b.case(a)
        other = b.household([b.person()], Decimal("400"))
        b.member(other, p, active=False)
        b.case(other, status="submitted")
        truth_objs["DOUBLE_DIBAO"].append(("p", p))
        q = b.person()
        b.case(b.household([q], Decimal("500")))
        other = b.household([b.person()], Decimal("400"))
        b.member(other, q, active=False)
        b.case(other, status="closed")
        # DUPLICATE_PERSON_HOUSEHOLDS (only when the caller dropped the unique index)
        if duplicate_memberships:
            p = b.person()
            b.household([p], rich())
            b.member(b.household([b.person()], rich()), p, active=True)
            truth_objs["DUPLICATE_PERSON_HOUSEHOLDS"].append(("p", p))
        # PROBABLE_DUPLICATE: one-digit / transposition / bad check, same name or homophone
        kind = i % 3
        surname, given = rng.choice(SURNAMES), rng.choice(GIVEN)
        name = surname + given
        twin_name = (HOMOPHONE[surname] + given) if rng.random() < 0.3 else name
        birth = date(1950, 1, 1) + timedelta(days=rng.randrange(0, 20000))
        sex = rng.choice("MF")
        region = rng.choice(REGIONS)
        first = b.person(name, birth, sex, region)
        digits = list(first._number[:17])
        options = [j for j in (0, 1, 2, 3, 4, 14) if digits[j] != digits[j + 1]]
        if kind == 1 and not options:
            kind = 0
        if kind == 0:  # one digit in the region or the first two sequence digits (keeps the sex digit)
            pos = rng.choice([0, 1, 2, 3, 4, 5, 14, 15])
            digits[pos] = str((int(digits[pos]) + rng.randint(1, 9)) % 10)
            number = "".join(digits) + check_char("".join(digits))
        elif kind == 1:  # adjacent swap of two different digits (region or sequence)
            pos = rng.choice(options)
            digits[pos], digits[pos + 1] = digits[pos + 1], digits[pos]
            number = "".join(digits) + check_char("".join(digits))
        else:  # the same digits with a wrong check character
            number = first._number[:17] + rng.choice([c for c in "0123456789X" if c != first._number[17]])
        if kind != 2 and number[:17] in b.used:
            b.persons.remove(first)
            continue
        second = b.person(twin_name, birth, sex, number[:6], number=number)
        b.household([first], rich())
        b.household([second], rich())
        truth_objs["PROBABLE_DUPLICATE"].append(("pp", first, second))
        # near misses: twins (sequential numbers, other names); same name and birthday, unrelated number
        g1, g2 = rng.sample([g for g in GIVEN if g != given], 2)
        twin_a = b.person(surname + g1, birth, sex, region)
        seq = int(twin_a._number[14:17])
        twin_number = b.id_number(region, birth, seq + 2 if seq + 2 <= 999 else seq - 2)
        twins = [twin_a]
        if twin_number[:17] not in b.used:
            twins.append(b.person(surname + g2, birth, sex, region, number=twin_number))
        b.household(twins, rich())
        for _attempt in range(20):
            other_region = rng.choice([r for r in REGIONS if r != region])
            other = b.id_number(other_region, birth, b.fresh_seq(other_region, birth, sex))
            if all(sum(x != y for x, y in zip(other[:17], n[:17], strict=False)) > 3
                   for n in (first._number, number)):
                b.household([b.person(name, birth, sex, other_region, number=other)], rich())
                break
        # PROTECTION_GAP; near misses: pending case covers, lifted, exactly at the standard
        gap = b.registry_household([b.person(), b.person()], rng.choice(["registered", "monitored"]),
                                   Decimal(rng.randrange(2400, 9500)))
        truth_objs["PROTECTION_GAP"].append(("rh", gap))
        covered = [b.person()]
        b.case(b.household(covered, Decimal("300")), status="submitted")
        b.registry_household(covered, "monitored", Decimal("3600"))
        b.registry_household([b.person()], "lifted", Decimal("3000"))
        b.registry_household([b.person()], "registered", STANDARD * 12)
        # INELIGIBLE_RECIPIENT (above the line; disagreement); near miss: gradual exit, close figures
        p = b.person()
        c = b.case(b.household([p], Decimal("700")))
        b.registry_household([p], "registered", Decimal("12000"))
        truth_objs["INELIGIBLE_RECIPIENT"].append(("c", c))
        p = b.person()
        c = b.case(b.household([p], Decimal("100")))
        b.registry_household([p], "monitored", Decimal("6000"))
        truth_objs["INELIGIBLE_RECIPIENT"].append(("c", c))
        p = b.person()
        b.case(b.household([p], Decimal("700")), status="gradual_exit")
        b.registry_household([p], "registered", Decimal("10800"))
        # STATUS_CONFLICT; near misses: gradual exit, registry below the standard
        p = b.person()
        c = b.case(b.household([p], Decimal("500")))
        b.registry_household([p], "lifted", Decimal("9600"))
        truth_objs["STATUS_CONFLICT"].append(("c", c))
        p = b.person()
        b.case(b.household([p], Decimal("500")), status="gradual_exit")
        b.registry_household([p], "lifted", Decimal("9600"))
        p = b.person()
        b.case(b.household([p], Decimal("500")))
        b.registry_household([p], "lifted", Decimal("7800"))
        # APPLICATION_ROSTER_CONFLICT: accepted, lifted at 60,000 a year against 300 a month declared;
        # near misses: only submitted (not yet accepted), a roster that agrees
        p = b.person()
        c = b.case(b.household([p], Decimal("300")), status=rng.choice(["under_investigation", "awaiting_decision"]))
        b.registry_household([p], "lifted", Decimal("60000"))
        truth_objs["APPLICATION_ROSTER_CONFLICT"].append(("c", c))
        p = b.person()
        b.case(b.household([p], Decimal("300")), status="submitted")
        b.registry_household([p], "lifted", Decimal("60000"))
        p = b.person()
        b.case(b.household([p], Decimal("300")), status="investigated")
        b.registry_household([p], "registered", Decimal("3900"))
        # STAFF_RELATIVE; near miss: closed
        c = b.case(b.household([b.person()], Decimal("500")), status="submitted", staff_relative=True)
        truth_objs["STAFF_RELATIVE"].append(("c", c))
        b.case(b.household([b.person()], Decimal("500")), status="closed", staff_relative=True)
        # EDGE_HOUSEHOLD; near misses: above 1.5x, monitored, open case
        h = b.household([b.person()], Decimal(rng.randrange(800, 1201)))
        truth_objs["EDGE_HOUSEHOLD"].append(("h", h))
        b.household([b.person()], Decimal("1201"))
        p = b.person()
        b.household([p], Decimal("1000"))
        b.registry_household([p], "monitored", Decimal("12000"))
        b.case(b.household([b.person()], Decimal("1000")), status="submitted")
    b.save()
    truth = {}
    for rule, items in truth_objs.items():
        keys = set()
        for item in items:
            if item[0] == "p":
                keys.add(f"p:{item[1].pk}")
            elif item[0] == "pp":
                lo, hi = sorted([item[1].pk, item[2].pk])
                keys.add(f"pp:{lo}-{hi}")
            elif item[0] == "rh":
                keys.add(f"rh:{item[1].registry_code}")
            else:
                keys.add(f"{item[0]}:{item[1].pk}")
        truth[rule] = keys
    return truth


def score(truth: dict, found: dict) -> dict:
    """{rule: (tp, fp, fn, recall, precision)}"""
    out = {}
    for rule, expected in truth.items():
        got = found.get(rule, set())
        tp, fp, fn = len(expected & got), len(got - expected), len(expected - got)
        recall = tp / (tp + fn) if tp + fn else 1.0
        precision = tp / (tp + fp) if tp + fp else 1.0
        out[rule] = (tp, fp, fn, recall, precision)
    return out
