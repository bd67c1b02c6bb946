"""Demo data: recipients with reviews due, one gradual exit, two finalised payment rolls. Idempotent."""

from datetime import date
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from accounts.models import Division, User
from cases.models import Case, CaseStatus
from households.idnumber import make_id_number
from households.models import Household, Member
from households.persons import person_get_or_create
from recipients.models import PaymentRoll, RecipientPolicy, RollStatus
from recipients.months import add_months, first_of_month
from recipients.services import (
    case_exit,
    payment_roll_finalise,
    payment_roll_generate,
    payment_roll_review,
    reviews_create_due,
)

COUNTY_CODE = "370283000000"
# (village code, head, birth date, category, monthly amount, months since the first payment)
RECIPIENTS = [
    ("370283101201", "王秀兰", date(1948, 3, 2), "A", "1180.00", 14),
    ("370283101201", "李德顺", date(1956, 7, 19), "C", "760.00", 8),
    ("370283101202", "张桂芝", date(1951, 11, 5), "B", "640.00", 13),
    ("370283101203", "刘长海", date(1969, 1, 27), "C", "920.00", 7),
    ("370283102201", "赵玉梅", date(1962, 5, 14), "C", "580.00", 4),
    ("370283102202", "孙福田", date(1945, 9, 30), "A", "1320.00", 20),
    ("370283108201", "周建华", date(1975, 4, 8), "C", "850.00", 10),  # goes into gradual exit
]
ADDRESS_PREFIX = "演示低保户"


def _recipient_cases(entered_by) -> list[Case]:
    """Active cases from cases.demo when it made some; otherwise a few made here."""
    today = timezone.localdate()
    cases = []
    for index, (code, head, birth, category, amount, months) in enumerate(RECIPIENTS, start=1):
        address = f"{ADDRESS_PREFIX}{index}号"
        household = Household.objects.filter(address=address).first()
        if household is None:
            village = Division.objects.get(code=code)
            household = Household.objects.create(
                village=village, division_code=village.code, address=address, head_name=head,
                bank_name="平度农村商业银行", bank_account=f"62284800{index:010d}", size=2, counted_members=2)
            person = person_get_or_create(id_number=make_id_number("370283", birth, 700 + index), name=head)
            Member.objects.create(household=household, person=person, name=head, relationship="head",
                                  sex=person.sex, birth_date=person.birth_date)
        case = household.cases.order_by("id").first()
        if case is None:
            case = Case.objects.create(
                household=household, division_code=household.division_code, status=CaseStatus.ACTIVE,
                category=category, monthly_amount=Decimal(amount),
                first_payment_month=add_months(first_of_month(today), -months), entered_by=entered_by,
                reason="演示数据", authorisation_signed=True, decided_at=timezone.now())
        cases.append(case)
    return cases


def seed(stdout) -> None:
    county = Division.objects.get(code=COUNTY_CODE)
    officer = User.objects.get(username="county1")
    reviewer = User.objects.get(username="county2")
    village_user = User.objects.filter(username="village1").first() or officer
    today = timezone.localdate()
    with transaction.atomic():
        RecipientPolicy.objects.get_or_create(
            county=county, effective_from=date(2020, 1, 1),
            defaults={"review_months_a": 12, "review_months_b": 12, "review_months_c": 6,
                      "gradual_exit_schedule": [100, 100, 80, 80, 60, 60],
                      "gradual_exit_schedule_poverty_roster": [100] * 4 + [80] * 4 + [60] * 4, "created_by": officer})
        cases = _recipient_cases(village_user)
        gradual = cases[-1]
        gradual.refresh_from_db()
        if gradual.status == CaseStatus.ACTIVE and not hasattr(gradual, "exit"):
            case_exit(actor=officer, case=gradual, kind="income_above_line",
                      reason="儿子在青岛务工，家庭人均收入已超过低保标准，按规定给予渐退期。",
                      effective_month=add_months(first_of_month(today), -1), on_poverty_roster=False)
        created = reviews_create_due(today=today)
        for months_back in (2, 1):
            month = add_months(first_of_month(today), -months_back)
            roll = PaymentRoll.objects.filter(county=county, month=month).first()
            if roll is None:
                roll = payment_roll_generate(actor=officer, county=county, month=month, today=today)
            if roll.status == RollStatus.DRAFT:
                roll = payment_roll_review(actor=reviewer, roll=roll)
            if roll.status == RollStatus.REVIEWED:
                payment_roll_finalise(actor=officer, roll=roll)
    stdout.write(f"recipients: {len(cases)} recipient cases, {created} new reviews due, payment rolls finalised")
