"""Set-based builders for a synthetic province. Everything is bulk_create in chunks, so
300,000 households / ~1,000,000 persons fit in minutes and bounded memory."""

import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.db import transaction

from accounts.models import Division, Level
from households import crypto
from households.idnumber import check_char
from households.models import Household, IncomeItem, IncomeKind, Member, Person, Standard
from households.persons import name_to_pinyin

SURNAMES = list("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤")
GIVEN = list("伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂英华玉萍红梅鑫波斌宇浩凯秀兰建国建华志强永红春梅海燕晓东小红金凤桂芝淑珍德明文华")
HOUSEHOLDS_PER_VILLAGE = 250
VILLAGES_PER_TOWNSHIP = 12
TOWNSHIPS_PER_COUNTY = 10
COUNTIES_PER_CITY = 5
SIZE_WEIGHTS = [8, 20, 27, 25, 13, 7]  # household sizes 1..6, mean about 3.4
STANDARD = Decimal("784")
CHUNK = 10_000


@dataclass
class Counters:
    sequences: dict = field(default_factory=dict)
    pinyin: dict = field(default_factory=dict)


def province_plan(households: int) -> list[int]:
    """How many households each village gets, villages in code order."""
    villages = max(1, -(-households // HOUSEHOLDS_PER_VILLAGE))
    plan = [HOUSEHOLDS_PER_VILLAGE] * villages
    plan[-1] = households - HOUSEHOLDS_PER_VILLAGE * (villages - 1)
    return plan


def build_divisions(n_villages: int, province_code: str = "52") -> list[Division]:
    """Province > cities > counties > townships > villages, codes in the 52 (Guizhou) range."""
    province, _ = Division.objects.get_or_create(
        code=f"{province_code}0000000000", defaults={"name": "合成省", "level": Level.PROVINCE})
    villages_per_county = VILLAGES_PER_TOWNSHIP * TOWNSHIPS_PER_COUNTY
    n_counties = max(1, -(-n_villages // villages_per_county))
    created: list[Division] = []
    remaining = n_villages
    for c in range(n_counties):
        city_no, county_no = c // COUNTIES_PER_CITY + 1, c % COUNTIES_PER_CITY + 1
        city, _ = Division.objects.get_or_create(
            code=f"{province_code}{city_no:02d}00000000",
            defaults={"name": f"合成{city_no}市", "level": Level.CITY, "parent": province})
        county, _ = Division.objects.get_or_create(
            code=f"{province_code}{city_no:02d}{county_no:02d}000000",
            defaults={"name": f"合成{city_no}-{county_no}县", "level": Level.COUNTY, "parent": city,
                      "population": 0})
        Standard.objects.get_or_create(county=county, effective_from=date(2025, 1, 1),
                                       defaults={"monthly_amount": STANDARD})
        for t in range(TOWNSHIPS_PER_COUNTY):
            if remaining <= 0:
                break
            township, _ = Division.objects.get_or_create(
                code=f"{county.code[:6]}{101 + t:03d}000",
                defaults={"name": f"{county.name}{t + 1}镇", "level": Level.TOWNSHIP, "parent": county})
            for v in range(min(VILLAGES_PER_TOWNSHIP, remaining)):
                village, _ = Division.objects.get_or_create(
                    code=f"{township.code[:9]}{201 + v:03d}",
                    defaults={"name": f"{township.name}{v + 1}村", "level": Level.VILLAGE,
                              "parent": township, "population": 1000})
                created.append(village)
                remaining -= 1
    return created


def _name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))


def _id_number(rng: random.Random, counters: Counters, region: str, birth: date, male: bool) -> str:
    key = (region, birth, male)
    seq = counters.sequences.get(key, 1 if male else 0)
    if seq > 999:
        # This birth date is full for the region: move a day (keeps numbers unique).
        return _id_number(rng, counters, region, birth + timedelta(days=1), male)
    counters.sequences[key] = seq + 2
    first17 = f"{region}{birth:%Y%m%d}{seq:03d}"
    return first17 + check_char(first17)


def _birth(rng: random.Random, age_from: int, age_to: int, today: date) -> date:
    return today - timedelta(days=rng.randint(age_from * 365, age_to * 365 + 364))


def iter_household_chunks(villages: list[Division], plan: list[int], seed: int) -> Iterator[list[tuple]]:
    """Yield chunks of (village, [(name, id_number, relationship, birth, sex)], monthly_income)."""
    rng = random.Random(seed)
    counters = Counters()
    today = date(2026, 11, 1)
    chunk: list[tuple] = []
    for village, count in zip(villages, plan, strict=False):
        region = village.code[:6]
        for _ in range(count):
            size = rng.choices(range(1, 7), SIZE_WEIGHTS)[0]
            people = []
            head_male = rng.random() < 0.8
            head_birth = _birth(rng, 25, 85, today)
            surname = rng.choice(SURNAMES)
            people.append((surname + _name(rng)[1:], _id_number(rng, counters, region, head_birth, head_male),
                           "head", head_birth, "M" if head_male else "F"))
            for i in range(1, size):
                if i == 1 and size > 1:
                    rel, birth, male = "spouse", head_birth + timedelta(days=rng.randint(-1500, 1500)), not head_male
                    name = _name(rng)
                elif head_birth.year < 1960 and rng.random() < 0.3:
                    rel, birth, male, name = "grandchild", _birth(rng, 1, 17, today), rng.random() < 0.5, surname + _name(rng)[1:]
                else:
                    rel, birth, male, name = "child", _birth(rng, 0, 30, today), rng.random() < 0.5, surname + _name(rng)[1:]
                birth = min(birth, today)
                people.append((name, _id_number(rng, counters, region, birth, male), rel, birth, "M" if male else "F"))
            # Incomes spread around the standard: about a third below, a sixth in the edge band.
            per_capita = STANDARD * Decimal(str(round(rng.lognormvariate(0.25, 0.6), 3)))
            chunk.append((village, people, (per_capita * size).quantize(Decimal("0.01"))))
            if len(chunk) >= CHUNK:
                yield chunk
                chunk = []
    if chunk:
        yield chunk


def insert_chunk(chunk: list[tuple], pinyin_cache: dict) -> tuple[int, int]:
    """Insert one chunk of households with their persons, members and one income each."""
    with transaction.atomic():
        persons, households, member_specs, incomes = [], [], [], []
        for village, people, monthly_income in chunk:
            size = len(people)
            households.append(Household(
                village=village, division_code=village.code, address=f"{village.name}{len(households) + 1}号",
                head_name=people[0][0], size=size, counted_members=size,
                monthly_counted_income=monthly_income,
                per_capita_monthly_income=(monthly_income / size).quantize(Decimal("0.01")),
                bank_name="农村信用社", bank_account=f"62{village.code}{len(households):06d}",
            ))
            for name, number, _rel, birth, sex in people:
                if name not in pinyin_cache:
                    pinyin_cache[name] = name_to_pinyin(name)
                persons.append(Person(id_hash=crypto.blind_index(number), id_encrypted=crypto.encrypt(number),
                                      name=name, name_pinyin=pinyin_cache[name], birth_date=birth, sex=sex,
                                      region_code=number[:6]))
        Person.objects.bulk_create(persons, batch_size=5000)
        Household.objects.bulk_create(households, batch_size=5000)
        index = 0
        for household, (_village, people, monthly_income) in zip(households, chunk, strict=True):
            for j, (name, _number, rel, birth, sex) in enumerate(people):
                member_specs.append(Member(household=household, person=persons[index], name=name, relationship=rel,
                                           sex=sex, birth_date=birth))
                index += 1
                if j == 0 and monthly_income > 0:
                    incomes.append(IncomeItem(household=household, kind=IncomeKind.WAGES,
                                              monthly_amount=monthly_income, period_months=12))
        Member.objects.bulk_create(member_specs, batch_size=5000)
        IncomeItem.objects.bulk_create(incomes, batch_size=5000)
    return len(households), len(persons)
