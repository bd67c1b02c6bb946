"""Demo cases for `seed_demo`: every workflow state, some overdue, a staff relative, an objection.

Uses the households made by households.demo when there are enough complete ones in the
南村镇 villages; otherwise creates small households itself so the demo works on its own.
Idempotent: does nothing when demo cases exist.
"""

from datetime import date, timedelta
from decimal import Decimal

from django.db import transaction

from accounts.models import Division, User
from cases import services, transitions
from cases.models import OPEN_STATES, Case, CaseStatus
from cases.workflow import today
from households.idnumber import make_id_number
from households.models import Household, IncomeItem, Member, Standard
from households.persons import person_get_or_create

MARK = "【演示】"
TOWNSHIP = "370283101000"
VILLAGE = "370283101201"
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧"

# (label, final state, extras)
PLAN = [
    ("draft", CaseStatus.DRAFT, {}),
    ("returned", "returned", {}),
    ("submitted", CaseStatus.SUBMITTED, {}),
    ("staff relative", CaseStatus.SUBMITTED, {"staff_relative": True}),
    ("visit 1 done", "visit1", {}),
    ("overdue investigation", CaseStatus.UNDER_INVESTIGATION, {"accepted_days_ago": 60}),
    ("investigated", CaseStatus.INVESTIGATED, {}),
    ("in notice", CaseStatus.IN_NOTICE, {}),
    ("objection", "objection", {}),
    ("awaiting decision", CaseStatus.AWAITING_DECISION, {}),
    ("decision overdue", CaseStatus.AWAITING_DECISION, {"accepted_days_ago": 70, "notice_days_ago": 40}),
    ("active", CaseStatus.ACTIVE, {}),
    ("active 2", CaseStatus.ACTIVE, {"income": Decimal("200")}),
    ("rejected", CaseStatus.REJECTED, {}),
    ("withdrawn", CaseStatus.WITHDRAWN, {}),
    ("closed", CaseStatus.CLOSED, {}),
]


def _complete(household: Household) -> bool:
    members = list(household.members.filter(is_active=True))
    return (bool(household.bank_account) and any(m.relationship == "head" for m in members)
            and household.incomes.exists() and household.counted_members > 0)


def _make_households(count: int, start: int) -> list[Household]:
    villages = list(Division.objects.filter(code__startswith=TOWNSHIP[:9], level="village").order_by("code"))
    made = []
    for i in range(start, start + count):
        village = villages[i % len(villages)] if i % 2 else Division.objects.get(code=VILLAGE)
        size = 1 + i % 4
        income = Decimal(150 * size + 37 * (i % 5))
        head_name = SURNAMES[i % len(SURNAMES)] + "建" + "国华明丽强芳军"[i % 7]
        household = Household.objects.create(
            village=village, division_code=village.code, address=f"{village.name}{100 + i}号",
            bank_name="平度农商银行", bank_account=f"62210{i:011d}", head_name=head_name, size=size,
            counted_members=size, elderly_count=int(i % 3 == 0), minor_count=int(size > 2),
            monthly_counted_income=income, per_capita_monthly_income=(income / size).quantize(Decimal("0.01")))
        for index in range(size):
            birth = date(1950 + (i * 7 + index * 13) % 60, 1 + (i + index) % 12, 1 + (i * 3 + index) % 28)
            number = make_id_number("370283", birth, (500 + i * 4 + index) % 1000)
            name = head_name if index == 0 else SURNAMES[i % len(SURNAMES)] + "小" + "一二三四"[index % 4]
            person = person_get_or_create(id_number=number, name=name)
            if Member.objects.filter(person=person, is_active=True).exists():
                continue
            Member.objects.create(household=household, person=person, name=name,
                                  relationship="head" if index == 0 else "child", sex=person.sex,
                                  birth_date=person.birth_date)
        IncomeItem.objects.create(household=household, kind="wages", monthly_amount=income, period_months=12)
        made.append(household)
    return made


def _candidates(needed: int) -> list[Household]:
    qs = (Household.objects.filter(division_code__startswith=TOWNSHIP[:9], is_active=True)
          .exclude(cases__status__in=OPEN_STATES).order_by("id"))
    found = [h for h in qs[:200] if _complete(h)]
    if len(found) < needed:
        found += _make_households(needed - len(found), Household.objects.count())
    return found[:needed]


def _visits(case, township, county2, on):
    # the entrant (often township1) may investigate one visit only
    for number, who, names in ((1, [county2], ["村委委员孙立"]), (2, [township, county2], [])):
        case = transitions.case_visits(actor=township, case=case, number=number, visit_date=on,
                                       investigators=who, investigator_names=names, findings="入户核实，情况属实。",
                                       verified_monthly_income=case.household.monthly_counted_income,
                                       applicant_signed=True)
    return case


def _walk(case, goal, users, extras):
    village, township, county1, county2 = users
    now = today()
    accepted_on = now - timedelta(days=extras.get("accepted_days_ago", 5))
    case = transitions.case_submit(actor=case.entered_by, case=case)
    if goal == "returned":
        return transitions.case_return(actor=county1, case=case, reasons="缺少近三个月收入证明，请补充后重新提交。")
    if goal == CaseStatus.SUBMITTED:
        return case
    if goal == CaseStatus.WITHDRAWN:
        return transitions.case_withdraw(actor=case.entered_by, case=case, reason="申请人家庭情况好转，主动撤回。")
    case = transitions.case_accept(actor=county1, case=case, on_date=accepted_on)
    if goal == "visit1":
        return transitions.case_visits(actor=township, case=case, number=1, visit_date=now, findings="第一次入户。",
                                       investigators=[township], investigator_names=["村委委员孙立"])
    if goal == CaseStatus.UNDER_INVESTIGATION:
        return case
    case = _visits(case, township, county2, now)
    if goal == CaseStatus.INVESTIGATED:
        return case
    notice_on = now - timedelta(days=extras.get("notice_days_ago", 10))
    if goal in (CaseStatus.IN_NOTICE, "objection"):
        notice_on = now - timedelta(days=2)
    case = transitions.case_open_notice(actor=county1, case=case, on_date=notice_on)
    if goal == CaseStatus.IN_NOTICE:
        return case
    if goal == "objection":
        return transitions.case_objection(actor=county1, case=case, raised_by="村民（匿名）",
                                          content="反映该户子女在城里有稳定工作和住房。")
    case = transitions.case_end_notice(actor=None, case=case, on_date=max(now, notice_on + timedelta(days=8)))
    if goal == CaseStatus.AWAITING_DECISION:
        return case
    if goal == CaseStatus.REJECTED:
        return transitions.case_reject(actor=county1, case=case, reason="经入户核查，家庭人均收入高于当地低保标准。")
    case = transitions.case_approve(actor=county1, case=case, category="A" if case.pk % 2 else "B")
    if goal == CaseStatus.CLOSED:
        case = transitions.case_exit(actor=county1, case=case, reason="保障对象死亡，停止保障。")
    return case


def seed(stdout) -> None:
    if Case.objects.filter(reason__startswith=MARK).exists():
        stdout.write("cases: demo cases already present, nothing to do.")
        return
    try:
        users = [User.objects.get(username=u) for u in ("village1", "township1", "county1", "county2")]
    except User.DoesNotExist:
        stdout.write("cases: demo users missing (run seed_demo), skipped.")
        return
    county = Division.objects.get(code="370283000000")
    with transaction.atomic():
        if not Standard.objects.filter(county=county).exists():
            Standard.objects.create(county=county, monthly_amount=Decimal("784"), effective_from=date(2024, 1, 1))
        households = _candidates(len(PLAN))
        counts: dict = {}
        for (label, goal, extras), household in zip(PLAN, households, strict=True):
            entrant = users[0] if household.division_code == VILLAGE else users[1]
            head = household.members.filter(relationship="head", is_active=True).first()
            data = {"applicant": head, "reason": f"{MARK}{label}：家庭成员患病，收入低于标准。",
                    "authorisation_signed": True, "authorisation_date": today() - timedelta(days=20)}
            if extras.get("staff_relative"):
                data |= {"staff_relative": True, "staff_relative_relation": "兄弟",
                         "staff_relative_to": "村党支部书记"}
            case = services.case_create(actor=entrant, household=household, **data)
            if goal != CaseStatus.DRAFT:
                case = _walk(case, goal, users, extras)
            counts[case.status] = counts.get(case.status, 0) + 1
    stdout.write("cases: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
