"""Set-based builders for a synthetic province: rows built in chunks as COPY text (bulk_create
elsewhere than PostgreSQL), one county at a time, so counties can be built in parallel processes and
10,000,000 persons fit in well under an hour and bounded memory."""

import io
import json
import random
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from django.contrib.auth.hashers import make_password
from django.db import connection, transaction
from django.utils import timezone

from accounts.models import Division, Level, User
from cases.models import (
    APPROVED_STATES,
    DECIDED_STATES,
    PAID_STATES,
    SUBMITTED_PENDING_STATES,
    Case,
    CaseStatus,
)
from cases.months import add_months, first_of_month
from households import crypto
from households.idnumber import check_char
from households.models import Household, IncomeItem, IncomeKind, Member, Person, Standard
from households.persons import name_to_pinyin
from poverty_registry.models import RegistryHousehold, RegistryMember
from recipients.models import PaymentLine, PaymentRoll, Review, ReviewKind, ReviewStatus, RollStatus

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


# Which households apply and how far their case got. Households below the standard mostly apply and most
# of those are paid; a few above it apply too (they end rejected, withdrawn or still pending).
BELOW_STANDARD_STATES = [("active", 55), ("gradual_exit", 3), ("closed", 6), ("draft", 4), ("submitted", 5),
                         ("under_investigation", 6), ("investigated", 4), ("in_notice", 4),
                         ("awaiting_decision", 4), ("rejected", 5), ("withdrawn", 4)]
ABOVE_STANDARD_STATES = [("rejected", 30), ("withdrawn", 15), ("draft", 15), ("submitted", 15),
                         ("under_investigation", 15), ("closed", 10)]
CASE_SHARE_BELOW = 0.6
CASE_SHARE_ABOVE = 0.04
ROSTER_YEAR = 2026


def _pick_case_status(rng: random.Random, per_capita: Decimal) -> str | None:
    below = per_capita < STANDARD
    if rng.random() >= (CASE_SHARE_BELOW if below else CASE_SHARE_ABOVE):
        return None
    states = BELOW_STANDARD_STATES if below else ABOVE_STANDARD_STATES
    return rng.choices([s for s, _w in states], [w for _s, w in states])[0]


def _pick_roster(rng: random.Random, per_capita: Decimal, case_status: str | None):
    """The poverty roster, with overlaps planted on purpose for the shared registry to find:
    registered/monitored households below the standard without a dibao case (protection gap),
    recipients the roster says were lifted out, and recipients whose two income figures disagree."""
    paid = case_status in PAID_STATES
    below = per_capita < STANDARD
    r = rng.random()
    if paid:
        if r < 0.10:
            return ("registered", "", None, 1.0)
        if r < 0.13:
            return ("lifted", "", rng.randint(2019, 2021), 1.0)  # planted: lifted out, still paid
        if r < 0.15:
            return ("registered", "", None, 3.5)  # planted: income figures disagree widely
        return None
    if below and case_status is None and r < 0.25:
        return ("monitored", rng.choice(("unstable", "edge", "sudden")), None, 1.0)  # planted: gap
    if per_capita < STANDARD * Decimal("1.5") and r < 0.05:
        return ("monitored", "edge", None, 1.0)
    if r < 0.01:
        return ("lifted", "", rng.randint(2018, 2022), 1.0)
    return None


def ensure_users(villages: list[Division]) -> dict[str, tuple[int, int]]:
    """One county officer and one village staff (in the county's first village) per county, for the
    benchmarks and as case authors: {county_code: (officer_id, village_staff_id)}. Password: synthetic."""
    password = make_password("synthetic")
    first_village: dict[str, Division] = {}
    for village in villages:
        first_village.setdefault(village.code[:6] + "000000", village)
    result = {}
    for county_code, village in first_village.items():
        county = Division.objects.get(code=county_code)
        officer, _ = User.objects.get_or_create(
            username=f"syn_county_{county_code[:6]}",
            defaults={"role": "county_officer", "division": county, "password": password})
        staff, _ = User.objects.get_or_create(
            username=f"syn_village_{village.code}",
            defaults={"role": "village_staff", "division": village, "password": password})
        result[county_code] = (officer.pk, staff.pk)
    return result


def county_groups(villages: list[Division], plan: list[int]) -> list[tuple[int, list[Division], list[int]]]:
    """(county ordinal, its villages, their household counts) in code order: the unit of work (ID numbers'
    birth-date sequences are per region code, so two counties never share one and can be built apart)."""
    groups: dict[str, tuple[list, list]] = {}
    for village, count in zip(villages, plan, strict=False):
        group = groups.setdefault(village.code[:6], ([], []))
        group[0].append(village)
        group[1].append(count)
    return [(ordinal, vs, counts) for ordinal, (vs, counts) in enumerate(groups.values())]


def county_seed(seed: int, ordinal: int) -> int:
    return seed * 1_000_003 + ordinal


def iter_household_chunks(villages: list[Division], plan: list[int], seed: int) -> Iterator[list[tuple]]:
    """Yield chunks of (village, [(name, id_number, relationship, birth, sex)], monthly_income, case_status,
    roster) where case_status is None or a CaseStatus value and roster None or (status, monitoring_type,
    lifted_year, income_factor). Each county has its own random stream (seeded from `seed` and its
    ordinal), so counties can be built in any order or in parallel and give the same rows."""
    for ordinal, county_villages, counts in county_groups(villages, plan):
        yield from iter_county_chunks(county_villages, counts, county_seed(seed, ordinal))


def iter_county_chunks(villages: list[Division], plan: list[int], seed: int) -> Iterator[list[tuple]]:
    rng = random.Random(seed)
    counters = Counters()
    # Nobody is born after the day the province is built (ID numbers with a future birth date are invalid).
    today = min(TODAY, timezone.localdate())
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
            case_status = _pick_case_status(rng, per_capita)
            roster = _pick_roster(rng, per_capita, case_status)
            chunk.append((village, people, (per_capita * size).quantize(Decimal("0.01")), case_status, roster))
            if len(chunk) >= CHUNK:
                yield chunk
                chunk = []
    if chunk:
        yield chunk


# --- fast inserts -------------------------------------------------------------------------------

def _is_postgres() -> bool:
    return connection.vendor == "postgresql"


def allocate_ids(model, n: int) -> list[int]:
    """Primary keys for n new rows, reserved up front so child rows can point at them."""
    if n == 0:
        return []
    table = model._meta.db_table
    with connection.cursor() as cursor:
        if _is_postgres():
            cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)", [table, n])
            return [row[0] for row in cursor.fetchall()]
        cursor.execute(f'SELECT COALESCE(MAX(id), 0) FROM "{table}"')  # noqa: S608 (table name from _meta)
        start = cursor.fetchone()[0] + 1
        return list(range(start, start + n))


def _copy_text(value: str) -> str:
    if "\\" in value or "\t" in value or "\n" in value or "\r" in value:
        return value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    return value


def _copy_bool(value) -> str:
    return "t" if value else "f"


def _copy_bytes(value) -> str:
    return "\\\\x" + bytes(value).hex()


def _copy_value(value) -> str:
    """Any value in COPY's text format (for defaults, once per table)."""
    if value is None:
        return "\\N"
    if isinstance(value, bool):
        return _copy_bool(value)
    if isinstance(value, bytes | memoryview):
        return _copy_bytes(value)
    if isinstance(value, str):
        return _copy_text(value)
    return str(value)


def _nullable(convert):
    return lambda value: "\\N" if value is None else convert(value)


def _converter(field):
    """One column's formatter, chosen once per table from its field (a per-cell isinstance chain was
    a tenth of the build's time)."""
    kind = field.get_internal_type()
    if kind == "BooleanField":
        convert = _copy_bool
    elif kind == "BinaryField":
        convert = _copy_bytes
    elif kind in ("CharField", "TextField", "SlugField", "EmailField"):
        convert = _copy_text
    else:  # numbers, dates, datetimes, UUIDs: str() is their COPY text
        convert = str
    return _nullable(convert) if field.null else convert


_COPY_PLANS: dict = {}


def _copy_plan(model, columns: tuple[str, ...]):
    """(COPY statement, per-column formatters, the constant tail of the other columns' defaults)."""
    key = (model, columns)
    plan = _COPY_PLANS.get(key)
    if plan is None:
        fields = [model._meta.get_field(c) for c in columns]
        extra_cols, extra_fields = [], []
        for f in model._meta.concrete_fields:
            if f.attname in columns:
                continue
            if f.primary_key or f.has_db_default():
                continue  # the database fills these itself
            extra_cols.append(f.column)
            extra_fields.append(f)
        names = [f.column for f in fields] + extra_cols
        sql = f'COPY "{model._meta.db_table}" ({", ".join(chr(34) + n + chr(34) for n in names)}) FROM STDIN'
        plan = _COPY_PLANS[key] = (sql, [_converter(f) for f in fields], extra_fields)
    return plan


def _defaults_tail(extra_fields) -> str:
    """The other columns' defaults as COPY text (auto_now fields: now). A callable default is called once,
    so a per-row default (a random UUID) must be among the written columns instead."""
    now = timezone.now()
    values = []
    for f in extra_fields:
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
            value = now
        elif f.has_default() and callable(f.default) and f.get_internal_type() == "UUIDField":
            raise ValueError(f"{f.model.__name__}.{f.name} needs a value per row")
        elif f.get_internal_type() == "JSONField":
            value = json.dumps(f.get_default())
        else:  # the Python value itself: a driver adapter (Binary, Json) has no COPY text
            value = f.get_default()
        values.append(_copy_value(value))
    return ("\t" + "\t".join(values)) if values else ""


def insert_rows(model, columns: list[str], rows: list[tuple]) -> None:
    """Insert rows (tuples in `columns` order, `id` included). PostgreSQL: COPY FROM STDIN with the
    other columns' defaults filled in once; elsewhere bulk_create."""
    if not rows:
        return
    if not _is_postgres():
        model.objects.bulk_create([model(**dict(zip(columns, row, strict=True))) for row in rows], batch_size=2000)
        return
    sql, converters, extra_fields = _copy_plan(model, tuple(columns))
    tail = _defaults_tail(extra_fields) + "\n"
    buf = io.StringIO()
    write = buf.write
    for row in rows:
        write("\t".join([convert(value) for convert, value in zip(converters, row, strict=True)]))
        write(tail)
    buf.seek(0)
    with connection.cursor() as cursor:
        cursor.cursor.copy_expert(sql, buf, size=1 << 20) if hasattr(cursor, "cursor") else cursor.copy_expert(sql, buf)


PERSON_COLUMNS = ["id", "id_hash", "id_encrypted", "id_suffix_hash", "key_state", "name", "name_pinyin", "birth_date",
                  "sex", "region_code", "on_poverty_roster"]
HOUSEHOLD_COLUMNS = ["id", "village_id", "division_code", "address", "head_name", "size", "counted_members",
                     "elderly_count", "minor_count", "monthly_counted_income", "per_capita_monthly_income",
                     "bank_name", "crypto_row", "phone_encrypted", "phone_hash", "phone_last4_hash",
                     "bank_account_encrypted", "bank_account_hash", "key_state", "has_paid_case"]
MEMBER_COLUMNS = ["id", "household_id", "person_id", "name", "relationship", "sex", "birth_date"]
INCOME_COLUMNS = ["id", "household_id", "kind", "monthly_amount", "period_months"]
CASE_COLUMNS = ["id", "household_id", "division_code", "status", "applicant_id", "reason", "authorisation_signed",
                "authorisation_date", "category", "monthly_amount", "first_payment_month", "entered_by_id",
                "submitted_at", "accepted_at", "deadline", "decided_at", "decided_by_id", "closed_at"]
REGISTRY_HOUSEHOLD_COLUMNS = ["id", "year", "registry_code", "village_id", "division_code", "status",
                              "monitoring_type", "lifted_year", "annual_income_per_capita"]
REGISTRY_MEMBER_COLUMNS = ["id", "registry_household_id", "person_id", "name", "relationship", "is_head"]
TODAY = date(2026, 11, 1)
SUBMITTED_STATES = {"submitted", "under_investigation", "investigated", "in_notice", "awaiting_decision",
                    "active", "gradual_exit", "rejected", "closed", "withdrawn"}
ACCEPTED_STATES = SUBMITTED_STATES - {"submitted", "withdrawn"}


def _case_row(case_id: int, household_id: int, division_code: str, status: str, applicant_id: int,
              size: int, per_capita: Decimal, users: tuple[int, int]) -> tuple:
    """A case whose dates and amounts agree with its state (deterministic: derived from its ids)."""
    officer_id, staff_id = users
    age_days = 20 + (household_id * 7919) % 700
    entered = datetime.combine(TODAY - timedelta(days=age_days), datetime.min.time(), tzinfo=UTC)
    submitted = entered + timedelta(days=2) if status in SUBMITTED_STATES else None
    accepted = entered + timedelta(days=5) if status in ACCEPTED_STATES else None
    decided = entered + timedelta(days=28) if status in DECIDED_STATES else None
    closed = entered + timedelta(days=400) if status == "closed" else None
    deadline = None
    if status in SUBMITTED_PENDING_STATES:
        # about one in eight pending cases is past its deadline (the overdue filter has something to show)
        deadline = TODAY + timedelta(days=(-5 if household_id % 8 == 0 else 3 + household_id % 25))
    paid = status in APPROVED_STATES
    amount = None
    category = ""
    first_month = None
    if paid:
        gap = max(STANDARD - per_capita, Decimal("50"))
        amount = (gap * size).quantize(Decimal("0.01"))
        category = "ABC"[household_id % 3]
        first_month = (decided + timedelta(days=35)).date().replace(day=1)
    return (case_id, household_id, division_code, status, applicant_id, "家庭收入低于当地低保标准",
            status != "draft", (entered.date() if status != "draft" else None), category, amount, first_month,
            staff_id, submitted, accepted, deadline, decided, officer_id if decided else None, closed)


def insert_chunk(chunk: list[tuple], pinyin_cache: dict, users: dict | None = None,
                 cipher: crypto.keys.Keyring | None = None) -> dict[str, int]:
    """Insert one chunk: persons, households, members, one income each, cases and roster rows.

    The flags other writers keep with refresh functions (Household.has_paid_case, Person.on_poverty_roster)
    are written with the rows: they follow from the chunk's own cases and roster, and an UPDATE of every row
    just copied cost as much as the copy."""
    cipher = cipher or crypto.keyring()
    users = users or {}
    n_people = sum(len(people) for _v, people, *_rest in chunk)
    with transaction.atomic():
        person_ids = iter(allocate_ids(Person, n_people))
        household_ids = allocate_ids(Household, len(chunk))
        member_ids = iter(allocate_ids(Member, n_people))
        income_ids = iter(allocate_ids(IncomeItem, len(chunk)))
        with_case = [c for c in chunk if c[3] is not None] if users else []
        case_ids = iter(allocate_ids(Case, len(with_case)) if with_case else [])
        with_roster = [c for c in chunk if c[4] is not None]
        reg_ids = iter(allocate_ids(RegistryHousehold, len(with_roster)) if with_roster else [])
        reg_member_ids = iter(allocate_ids(RegistryMember, sum(len(c[1]) for c in with_roster))
                              if with_roster else [])
        persons, households, members, incomes, cases, reg_households, reg_members = [], [], [], [], [], [], []
        for household_id, (village, people, monthly_income, case_status, roster) in zip(household_ids, chunk,
                                                                                         strict=True):
            size = len(people)
            per_capita = (monthly_income / size).quantize(Decimal("0.01"))
            elderly = sum(1 for p in people if (TODAY - p[3]).days >= 60 * 365)
            minors = sum(1 for p in people if (TODAY - p[3]).days < 18 * 365)
            row_key = uuid.uuid4()
            sealed = crypto.household_key_fields("", f"62{village.code}{household_id % 1_000_000:06d}", row_key, cipher)
            has_case = case_status is not None and bool(with_case)
            listed = roster is not None and bool(with_roster)
            households.append((household_id, village.pk, village.code, f"{village.name}{household_id}号", people[0][0],
                               size, size, elderly, minors, monthly_income, per_capita, "农村信用社", row_key,
                               *(sealed[c] for c in HOUSEHOLD_COLUMNS[13:-1]), has_case and case_status in PAID_STATES))
            head_member_id = None
            household_people = []
            for name, number, rel, birth, sex in people:
                pinyin = pinyin_cache.get(name)
                if pinyin is None:
                    pinyin = pinyin_cache[name] = name_to_pinyin(name)
                person_id, member_id = next(person_ids), next(member_ids)
                fields = crypto.person_key_fields(number, name, cipher)
                persons.append((person_id, fields["id_hash"], fields["id_encrypted"], fields["id_suffix_hash"],
                                fields["key_state"], name, pinyin, birth, sex, number[:6], listed))
                members.append((member_id, household_id, person_id, name, rel, sex, birth))
                household_people.append((person_id, name, rel))
                head_member_id = head_member_id or member_id
            if monthly_income > 0:
                incomes.append((next(income_ids), household_id, IncomeKind.WAGES.value, monthly_income, 12))
            if has_case:
                county = village.code[:6] + "000000"
                cases.append(_case_row(next(case_ids), household_id, village.code, case_status, head_member_id,
                                       size, per_capita, users[county]))
            if listed:
                status, monitoring, lifted, factor = roster
                reg_id = next(reg_ids)
                annual = (per_capita * 12 * Decimal(str(factor))).quantize(Decimal("0.01"))
                reg_households.append((reg_id, ROSTER_YEAR, f"FP{village.code}{household_id:07d}", village.pk,
                                       village.code, status, monitoring, lifted, annual))
                for j, (person_id, name, rel) in enumerate(household_people):
                    reg_members.append((next(reg_member_ids), reg_id, person_id, name, rel, j == 0))
        insert_rows(Person, PERSON_COLUMNS, persons)
        insert_rows(Household, HOUSEHOLD_COLUMNS, households)
        insert_rows(Member, MEMBER_COLUMNS, members)
        insert_rows(IncomeItem, INCOME_COLUMNS, incomes)
        insert_rows(Case, CASE_COLUMNS, cases)
        insert_rows(RegistryHousehold, REGISTRY_HOUSEHOLD_COLUMNS, reg_households)
        insert_rows(RegistryMember, REGISTRY_MEMBER_COLUMNS, reg_members)
    return {"households": len(households), "persons": len(persons), "cases": len(cases),
            "registry_households": len(reg_households)}


REVIEW_SHARE = 0.5  # share of active cases with an open scheduled review
ROLL_MONTHS = 2  # finalised payment rolls for the last N months, every paid case of the county on each


REVIEW_COLUMNS = ["id", "case_id", "division_code", "kind", "status", "due_date", "anchor_date"]
PAYMENT_LINE_COLUMNS = ["id", "roll_id", "case_id", "household_id", "village_code", "village_name", "payee_name",
                        "full_amount", "percent", "amount", "crypto_row"]


@transaction.atomic
def build_recipients(seed: int, province: str) -> dict[str, int]:
    """Open scheduled reviews for a share of active cases and finalised payment rolls (one per county per
    month, a line per paid case) for the province being generated: rows read in chunks, written with COPY."""
    rng = random.Random(seed * 7919 + 17)
    today = timezone.localdate()
    reviews = 0
    active = (Case.objects.filter(status=CaseStatus.ACTIVE, division_code__startswith=province)
              .values_list("id", "division_code").order_by("id"))
    batch = []

    def flush_reviews():
        ids = allocate_ids(Review, len(batch))
        insert_rows(Review, REVIEW_COLUMNS, [(pk, *row) for pk, row in zip(ids, batch, strict=True)])
        batch.clear()

    for case_id, division_code in active.iterator(chunk_size=CHUNK):
        if rng.random() >= REVIEW_SHARE:
            continue
        due = today + timedelta(days=rng.randint(-20, 180))
        batch.append((case_id, division_code, ReviewKind.SCHEDULED.value, ReviewStatus.DUE.value, due, due))
        reviews += 1
        if len(batch) >= CHUNK:
            flush_reviews()
    if batch:
        flush_reviews()
    rolls = lines = 0
    paid = (Case.objects.filter(status__in=PAID_STATES, monthly_amount__isnull=False,
                                division_code__startswith=province)
            .order_by("division_code", "id"))
    counties = sorted({code[:6] for code in paid.values_list("division_code", flat=True).distinct()})
    county_divisions = {d.code[:6]: d for d in Division.objects.filter(level=Level.COUNTY,
                                                                         code__in=[c + "000000" for c in counties])}
    now = timezone.now()
    for back in range(ROLL_MONTHS, 0, -1):
        month = add_months(first_of_month(today), -back)
        for prefix in counties:
            county = county_divisions.get(prefix)
            if county is None:
                continue
            roll = PaymentRoll.objects.create(county=county, month=month, status=RollStatus.FINALISED,
                                              generated_at=now, reviewed_at=now, finalised_at=now)
            rolls += 1
            count, total, batch = 0, Decimal("0"), []
            rows = (paid.filter(division_code__startswith=prefix)
                    .values_list("id", "household_id", "division_code", "household__village__name",
                                 "household__head_name", "monthly_amount"))
            for case_id, household_id, code, village_name, head_name, amount in rows.iterator(chunk_size=CHUNK):
                batch.append((roll.pk, case_id, household_id, code, village_name, head_name or "", amount, 100,
                              amount, uuid.uuid4()))
                count += 1
                total += amount
                if len(batch) >= CHUNK:
                    _insert_lines(batch)
            if batch:
                _insert_lines(batch)
            PaymentRoll.objects.filter(pk=roll.pk).update(line_count=count, total_amount=total)
            lines += count
    return {"reviews": reviews, "payment_rolls": rolls, "payment_lines": lines}


def _insert_lines(batch: list[tuple]) -> None:
    ids = allocate_ids(PaymentLine, len(batch))
    insert_rows(PaymentLine, PAYMENT_LINE_COLUMNS, [(pk, *row) for pk, row in zip(ids, batch, strict=True)])
    batch.clear()


# --- a big load into empty tables --------------------------------------------------------------------

LOADED_MODELS = (Person, Household, Member, IncomeItem, Case, RegistryHousehold, RegistryMember, Review, PaymentLine)


def secondary_indexes(models=LOADED_MODELS) -> list[tuple[str, str, str | None, str]]:
    """The indexes of the loaded tables that no primary or foreign key needs, as (index, table, unique
    constraint or None, its definition): read back from the catalogue, so nothing here repeats the
    migrations."""
    tables = [m._meta.db_table for m in models]
    with connection.cursor() as cursor:
        cursor.execute("""
            SELECT i.indexrelid::regclass::text, i.indrelid::regclass::text, c.conname,
                   CASE WHEN c.oid IS NULL THEN pg_get_indexdef(i.indexrelid) ELSE pg_get_constraintdef(c.oid) END
            FROM pg_index i
            LEFT JOIN pg_constraint c ON c.conindid = i.indexrelid AND c.contype IN ('u', 'x')
                                     AND c.conrelid = i.indrelid
            WHERE i.indrelid = ANY(%s::regclass[]) AND NOT i.indisprimary
              AND NOT EXISTS (SELECT 1 FROM pg_constraint f WHERE f.contype = 'f' AND f.conindid = i.indexrelid)
            ORDER BY 2, 1""", [tables])
        return [(index, table, constraint, definition) for index, table, constraint, definition in cursor.fetchall()]


def _run_pending_checks(cursor) -> None:
    """Inside a transaction (tests) rows written earlier still have deferred foreign-key checks pending, and a
    table with pending trigger events cannot be altered or indexed: run them now (every constraint here is
    INITIALLY DEFERRED, so ALL DEFERRED afterwards restores the transaction's settings)."""
    if connection.in_atomic_block:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")


def foreign_keys(models=LOADED_MODELS) -> list[tuple[str, str, str]]:
    """The loaded tables' foreign keys as (table, constraint, definition), read back from the catalogue."""
    tables = [m._meta.db_table for m in models]
    with connection.cursor() as cursor:
        cursor.execute("""
            SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint
            WHERE contype = 'f' AND conrelid = ANY(%s::regclass[]) ORDER BY 1, 2""", [tables])
        return list(cursor.fetchall())


def drop_foreign_keys(keys) -> None:
    """Drop them for the load: each copied row would otherwise queue a check against its parent's primary key
    (several per person), run one by one at commit."""
    with connection.cursor() as cursor:
        _run_pending_checks(cursor)
        for table, constraint, _definition in keys:
            cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{constraint}"')


def add_foreign_keys(keys, log=None) -> None:
    """Add them again and validate every row in one join per key (NOT VALID, then VALIDATE: a bad row fails the
    build, as it would have failed its chunk)."""
    with connection.cursor() as cursor:
        _run_pending_checks(cursor)
        for table, constraint, definition in keys:
            started = timezone.now()
            cursor.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{constraint}" {definition} NOT VALID')
            cursor.execute(f'ALTER TABLE {table} VALIDATE CONSTRAINT "{constraint}"')
            if log:
                log(f"  foreign key {constraint}: {(timezone.now() - started).total_seconds():.1f}s")


def drop_indexes(indexes) -> None:
    """Drop them (a COPY into an indexed table maintains every index row by row: several times the copy)."""
    with connection.cursor() as cursor:
        for index, table, constraint, _definition in indexes:
            if constraint:
                cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{constraint}"')
            else:
                cursor.execute(f"DROP INDEX {index}")


def create_indexes(indexes, log=None) -> None:
    """Build them again from the saved definitions (unique ones re-check their rows as they build)."""
    with connection.cursor() as cursor:
        _run_pending_checks(cursor)
        cursor.execute("SET maintenance_work_mem = '512MB'")
        for _index, table, constraint, definition in indexes:
            started = timezone.now()
            if constraint:
                cursor.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{constraint}" {definition}')
            else:
                cursor.execute(definition)
            if log:
                log(f"  index {_index}: {(timezone.now() - started).total_seconds():.1f}s")
