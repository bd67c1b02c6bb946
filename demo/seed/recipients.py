"""Demo data: long-standing recipients, their reviews, one gradual exit, a year of payment rolls.

Each recipient household is entered through the household service and its application taken through
the whole workflow (demo.seed.cases.walk), approved in the month before its first payment, each step
at its own date. Reviews are created when due and mostly completed a few weeks later; two households
without an open review reported a change today. The payment rolls are generated, reviewed and finalised early in their
month; this month's waits for its review.
Idempotent: the households are found again by address, the rolls by month.
"""

import random
from datetime import date, timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from accounts.models import Division, User
from cases.models import CaseStatus
from cases.months import add_months, first_of_month
from demo.clock import at, go_live_date
from demo.schedule import Schedule
from demo.seed import cases as cases_demo
from households.idnumber import make_id_number
from households.models import Household, Member
from households.persons import id_hash_for
from households.services import household_create
from recipients.models import PaymentRoll, RecipientPolicy, Review, ReviewStatus, RollStatus
from recipients.services import (
    case_exit,
    payment_roll_finalise,
    payment_roll_generate,
    payment_roll_review,
    review_complete,
    review_report_change,
    reviews_create_due,
)

COUNTY_CODE = "370283000000"
STREET = "幸福街"
# (village code, category, months since the first payment, members, monthly incomes). A member is
# (name, relationship, birth date, male, extra fields); an income (member index or None, kind, amount).
RECIPIENTS = [
    ("370283101201", "A", 14, [("王秀兰", "head", date(1948, 3, 2), False, {"health": "chronic"})],
     [(None, "support", "150")]),
    ("370283101201", "C", 8, [("李德顺", "head", date(1956, 7, 19), True, {"health": "serious",
                                                                        "labour_capacity": "none"}),
                              ("李志强", "child", date(1985, 2, 11), True, {})],
     [(1, "wages", "900")]),
    ("370283101202", "B", 13, [("张桂芝", "head", date(1951, 11, 5), False, {}),
                               ("马德福", "spouse", date(1949, 4, 23), True, {"health": "chronic",
                                                                            "labour_capacity": "partial"})],
     [(None, "support", "300"), (0, "basic_pension", "180"), (1, "basic_pension", "180")]),
    ("370283101203", "C", 7, [("刘长海", "head", date(1969, 1, 27), True, {}),
                              ("高玉芬", "spouse", date(1971, 8, 3), False, {"health": "serious",
                                                                           "labour_capacity": "none"}),
                              ("刘欣怡", "child", date(2010, 9, 14), False, {"student_level": "junior"})],
     [(0, "wages", "1200")]),
    ("370283101204", "C", 4, [("赵玉梅", "head", date(1962, 5, 14), False, {}),
                              ("赵小军", "child", date(1990, 6, 2), True,
                               {"health": "disabled", "disability_grade": 2, "disability_type": "intellectual",
                                "labour_capacity": "none"})],
     [(0, "wages", "600"), (1, "social_assistance", "100")]),
    ("370283101205", "A", 20, [("孙福田", "head", date(1945, 9, 30), True, {"health": "serious",
                                                                         "labour_capacity": "none"})],
     [(None, "support", "100"), (0, "basic_pension", "180")]),
    # Goes into gradual exit: the son found work in Qingdao.
    ("370283101203", "C", 10, [("周建华", "head", date(1975, 4, 8), True, {"health": "chronic"}),
                               ("吴丽", "spouse", date(1977, 12, 19), False, {}),
                               ("周鹏", "child", date(2003, 3, 27), True, {})],
     [(0, "wages", "1300")]),
]


def _id_number(birth: date, male: bool, seq: int) -> str:
    """A free ID number for the person (the sequence digit's parity gives the sex)."""
    while True:
        seq = seq + 1 if (seq % 2 == 1) != male else seq
        number = make_id_number("370283", birth, seq % 1000)
        if not Member.objects.filter(person__id_hash=id_hash_for(number), is_active=True).exists():
            return number
        seq += 2


def _household(index: int, village: Division, members: list, incomes: list, actor) -> Household:
    address = f"{village.name}{STREET}{index}号"
    household = Household.objects.filter(village=village, address=address).first()
    if household is not None:
        return household
    numbers = [_id_number(birth, male, 700 + 20 * index + 2 * k) for k, (_n, _r, birth, male, _x) in enumerate(members)]
    return household_create(actor=actor, village=village, data={
        "address": address, "contact_phone": f"1396{index:03d}{index * 37 % 10000:04d}",
        "bank_name": "平度农商银行", "bank_account": f"62284800{index:011d}",
        "members": [{"id_number": number, "name": name, "relationship": relationship, **extra}
                    for number, (name, relationship, _b, _m, extra) in zip(numbers, members, strict=True)],
        "incomes": [{"kind": kind, "monthly_amount": Decimal(amount), "period_months": 12,
                     **({"member_id_number": numbers[member]} if member is not None else {})}
                    for member, kind, amount in incomes]})


def _recipient_cases(users: cases_demo.DemoUsers, today: date) -> list:
    """The recipients' cases, each approved in the month before its first payment."""
    schedule = Schedule(today)
    cases = []
    for index, (code, category, months, members, incomes) in enumerate(RECIPIENTS, start=1):
        village = Division.objects.get(code=code)
        with at(go_live_date(today), minute=index):
            household = _household(index, village, members, incomes, users.entrant(code))
        case = household.cases.order_by("id").first()
        if case is None:
            first_payment = add_months(first_of_month(today), -months)
            approve_on = add_months(first_payment, -1).replace(day=15)
            case = cases_demo.walk(household=household, goal="active", pins={"approve": approve_on}, users=users,
                                   schedule=schedule, rng=random.Random(f"recipient:{index}"),
                                   reason="家庭成员年老多病，缺乏劳动能力，家庭人均收入低于当地低保标准。",
                                   category=category)
        cases.append(case)
    return cases


def _review_history(reviewer, schedule: Schedule, today: date, *, meanwhile=()) -> int:
    """The reviews as the daily beat and the county made them: each created when due (the first working
    day of its month), most completed about three weeks later with the household unchanged; those
    due in the last few weeks are still open. `meanwhile`: (day, callable) run in their month.
    Returns how many reviews are open now."""
    month = add_months(first_of_month(today), -24)
    pending = sorted(meanwhile, key=lambda item: item[0])
    while month <= today:
        created_on = schedule.forward(month - timedelta(days=1), 1)
        if created_on > today:
            break
        while pending and pending[0][0] < created_on:
            pending.pop(0)[1]()
        with at(created_on):
            reviews_create_due(today=created_on)
        for review in Review.objects.filter(status=ReviewStatus.DUE, due_date__lte=created_on).select_related("case"):
            completed_on = schedule.forward(review.due_date, 14)
            if completed_on > schedule.back(today, 15) or review.case.status != CaseStatus.ACTIVE:
                continue
            with at(completed_on, minute=120):
                review_complete(actor=reviewer, review=review, outcome="continue", today=completed_on,
                                findings="入户复核：家庭人口、收入和财产状况无明显变化，继续保障。")
        month = add_months(month, 1)
    for _day, action in pending:
        action()
    with at(schedule.working_day_on_or_before(today)):
        reviews_create_due(today=today)
    return Review.objects.filter(status=ReviewStatus.DUE).count()


# The changes two households reported today, and the recipients (indexes into RECIPIENTS) asked first.
CHANGES_REPORTED = ["老人在家摔伤住院，医疗支出增加，子女给的赡养费减少。",
                    "妻子病情加重，需要长期透析，丈夫只能打零工照顾。"]
CHANGE_REPORTERS = [0, 3, 1, 2, 4, 5]


def _changes_reported(cases: list, users: cases_demo.DemoUsers, schedule: Schedule) -> None:
    """Two households reported a change today: an unscheduled review is open for each. The households
    are recipients without a review already open (on some days a scheduled review is due for one of
    the first asked: the next one reports instead), so each change has a review of its own."""
    pending = [text for text in CHANGES_REPORTED if not Review.objects.filter(reported_change__contains=text).exists()]
    for index in CHANGE_REPORTERS:
        if not pending:
            return
        case = cases[index]
        case.refresh_from_db()
        if case.status != CaseStatus.ACTIVE or Review.objects.filter(case=case, status=ReviewStatus.DUE).exists():
            continue
        day = schedule.today
        with at(day, minute=60 + 30 * index):
            review_report_change(actor=users.entrant(case.division_code), case=case, reported_change=pending.pop(0),
                                 today=day)


ROLL_MONTHS = 12


def _payment_rolls(county, officer, reviewer, schedule: Schedule, today: date) -> str:
    """A roll per month for the past year, each generated early in its month, reviewed the next working
    day and finalised the day after; this month's is generated and waits for its review."""
    this_month = first_of_month(today)
    for months_back in range(ROLL_MONTHS, -1, -1):
        month = add_months(this_month, -months_back)
        generated_on = schedule.forward(month.replace(day=2), 1)
        if generated_on > today:
            continue
        roll = PaymentRoll.objects.filter(county=county, month=month).first()
        if roll is None:
            with at(generated_on):
                roll = payment_roll_generate(actor=officer, county=county, month=month, today=generated_on)
        if month == this_month:
            continue
        if roll.status == RollStatus.DRAFT:
            with at(schedule.forward(generated_on, 1)):
                roll = payment_roll_review(actor=reviewer, roll=roll)
        if roll.status == RollStatus.REVIEWED:
            with at(schedule.forward(generated_on, 2)):
                payment_roll_finalise(actor=officer, roll=roll)
    statuses = list(PaymentRoll.objects.filter(county=county).values_list("status", flat=True))
    return f"{statuses.count(RollStatus.FINALISED)} payment rolls finalised, {statuses.count(RollStatus.DRAFT)} draft"


def seed(stdout) -> None:
    county = Division.objects.get(code=COUNTY_CODE)
    officer = User.objects.get(username="county1")
    reviewer = User.objects.get(username="county2")
    users = cases_demo.DemoUsers.load()
    today = timezone.localdate()
    schedule = Schedule(today)
    with transaction.atomic():
        RecipientPolicy.objects.get_or_create(
            county=county, effective_from=date(2020, 1, 1),
            defaults={"review_months_a": 12, "review_months_b": 12, "review_months_c": 6,
                      "gradual_exit_schedule": [100, 100, 80, 80, 60, 60],
                      "gradual_exit_schedule_poverty_roster": [100] * 4 + [80] * 4 + [60] * 4, "created_by": officer})
        cases_demo.ensure_standard(county, today)
        cases = _recipient_cases(users, today)
        gradual = cases[-1]
        gradual.refresh_from_db()
        last_month = add_months(first_of_month(today), -1)
        exit_on = schedule.forward(last_month.replace(day=7), 1)

        def gradual_exit():
            with at(exit_on):
                case_exit(actor=officer, case=gradual, kind="income_above_line",
                          reason="儿子在青岛务工，家庭人均收入已超过低保标准，按规定给予渐退期。",
                          effective_month=last_month, on_poverty_roster=False)

        needs_exit = gradual.status == CaseStatus.ACTIVE and not hasattr(gradual, "exit")
        _review_history(reviewer, schedule, today, meanwhile=[(exit_on, gradual_exit)] if needs_exit else [])
        _changes_reported(cases, users, schedule)
        created = Review.objects.filter(status=ReviewStatus.DUE).count()
        rolls = _payment_rolls(county, officer, reviewer, schedule, today)
    stdout.write(f"recipients: {len(cases)} recipient cases, {created} reviews due, {rolls}")
