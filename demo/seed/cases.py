"""Demo cases for `seed_demo`: every workflow state, each with a history of its own.

Each case's steps (entry, submission, acceptance, two home visits, the 7-day notice, the decision,
an exit) are laid out on the working-day calendar around one step pinned to "N working days ago"
(demo.schedule) and replayed through the real transitions at their dates
(demo.clock.at). So the application is accepted after it was submitted, both visits fall
between acceptance and the notice, the decision comes after the notice within its 10 working days
and within 30 working days of acceptance, except in the two cases that are overdue on purpose; the
case timeline, the deadlines and the dashboard's processing times follow from that.

Besides one case per state (PLAN) there are cases decided over the past year (HISTORY, for the
dashboard's monthly series and processing times), and two "moved members" (MOVES): a grown child
who left a recipient household for another one that then applied. The parents' case still covers
the child until its review (DOMAIN.md), so the shared registry finds the person in two open dibao
cases (DOUBLE_DIBAO).

Uses complete households made by demo.seed.households in the 南村镇 villages (below the standard for
approvals, just above it for rejections); without them it creates small households itself so the
demo works on its own. Idempotent: does nothing when demo cases exist.
"""

import random
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.db import transaction
from django.db.models import Exists, OuterRef

from accounts.models import Division, User
from cases import services, workflow
from cases.benefit import policy_in_force
from cases.models import OPEN_STATES, Case
from demo.clock import at, go_live_date
from demo.schedule import CALENDAR_DAYS, Schedule, Step
from households.idnumber import make_id_number
from households.income import age_on
from households.models import Asset, Household, IncomeItem, Member, Standard
from households.persons import person_get_or_create
from households.services import member_add, member_remove

MARK = "【演示】"
COUNTY = "370283000000"
TOWNSHIP = "370283101000"
VILLAGE = "370283101201"
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧"

# The steps on the way to each goal (the last one is where the case stands now).
_TO_NOTICE = ["create", "submit", "accept", "visit1", "visit2", "open_notice"]
PATHS = {
    "draft": ["create"],
    "returned": ["create", "submit", "return"],
    "submitted": ["create", "submit"],
    "withdrawn": ["create", "submit", "withdraw"],
    "accepted": ["create", "submit", "accept"],
    "visit1": ["create", "submit", "accept", "visit1"],
    "investigated": _TO_NOTICE[:-1],
    "in_notice": _TO_NOTICE,
    "objection": [*_TO_NOTICE, "objection"],
    "awaiting_decision": [*_TO_NOTICE, "end_notice"],
    "active": [*_TO_NOTICE, "end_notice", "approve"],
    "rejected": [*_TO_NOTICE, "end_notice", "reject"],
    "closed": [*_TO_NOTICE, "end_notice", "approve", "exit"],
}
# Working days after the previous step, drawn per case from these ranges. With the 7-day notice
# the longest path from acceptance to decision is 6 + 5 + 3 + 5 + 6 = 25 of the 30 working days,
# and a decision comes at most 6 of its 10 working days after the notice.
GAPS = {"submit": (1, 3), "return": (1, 3), "withdraw": (2, 6), "accept": (1, 4), "visit1": (2, 6),
        "visit2": (1, 5), "open_notice": (1, 3), "approve": (1, 6), "reject": (2, 6)}
OBJECTION_AFTER_DAYS = 2  # calendar days into the notice

# (label, goal, pinned step, working days ago, extras). Extras: "gaps" overrides, "staff_relative",
# "exit_ago" (working days ago of the exit).
PLAN = [
    ("draft", "draft", "create", 0, {}),
    ("returned", "returned", "return", 2, {}),
    ("submitted", "submitted", "submit", 1, {}),
    ("staff relative", "submitted", "submit", 2, {"staff_relative": True}),
    ("visit 1 done", "visit1", "visit1", 2, {}),
    # Accepted 42 working days ago, one visit since: past the 30-working-day limit.
    ("overdue investigation", "visit1", "accept", 42, {"gaps": {"visit1": 8}}),
    ("investigated", "investigated", "visit2", 1, {}),
    ("in notice", "in_notice", "open_notice", 2, {}),
    ("objection", "objection", "open_notice", 3, {}),
    ("awaiting decision", "awaiting_decision", "end_notice", 1, {}),
    # The notice ended 16 working days ago and nobody decided: past the 10-day step limit and, 32
    # working days after acceptance, past the 30-day limit too.
    ("decision overdue", "awaiting_decision", "end_notice", 16, {"gaps": {"visit1": 5, "visit2": 4, "open_notice": 2}}),
    ("active", "active", "approve", 15, {}),
    ("active 2", "active", "approve", 50, {}),
    ("rejected", "rejected", "reject", 8, {}),
    ("withdrawn", "withdrawn", "withdraw", 5, {}),
    ("closed", "closed", "approve", 290, {"exit_ago": 20}),
]
HISTORY = 20  # decided cases, one every 13 working days back from 18 working days ago
MOVES = 2

REASONS = [
    "户主患慢性病，长期服药，家庭主要靠务农收入，人均收入低于当地低保标准。",
    "家庭主要劳动力因病丧失劳动能力，子女在读，收入微薄。",
    "老两口年老体弱，无固定收入，子女无赡养能力。",
    "户主因意外致残，家庭收入骤减，生活困难。",
    "家庭成员患重病，医疗支出大，人均收入低于标准。",
]
REJECT_REASONS = [
    "经入户调查和信息核对，家庭人均月收入高于当地低保标准，不符合条件。",
    "经核查，家庭成员在外务工收入未如实申报，核实后人均收入超过低保标准。",
]
EXIT_REASONS = [("death", "保障对象死亡，停止保障。"), ("moved_away", "全家迁往青岛市区居住，户籍已迁出，停止保障。")]
VISIT_FINDINGS = ["入户核实家庭人口、住房和收入情况，与申报基本一致。",
                  "第二次入户，核对务工收入和银行流水，并走访邻里，情况属实。"]


@dataclass(frozen=True)
class DemoUsers:
    village1: User
    village2: User
    township: User
    county1: User
    county2: User

    @classmethod
    def load(cls) -> "DemoUsers | None":
        users = {u.username: u for u in User.objects.filter(
            username__in=["village1", "village2", "township1", "county1", "county2"]).select_related("division")}
        if len(users) < 5:
            return None
        return cls(users["village1"], users["village2"], users["township1"], users["county1"], users["county2"])

    def entrant(self, division_code: str) -> User:
        """Whoever enters applications and household changes in the village."""
        for user in (self.village1, self.village2):
            if user.division and division_code == user.division.code:
                return user
        return self.township


def steps_for(goal: str, pins: dict, rng: random.Random, notice_days: int, gaps: dict | None = None) -> list[Step]:
    """The goal's path with gaps drawn from GAPS (or `gaps`) and the steps in `pins` pinned
    ({step: working days ago, or a date})."""
    steps = []
    for name in PATHS[goal]:
        pin = pins.get(name)
        ago, on = (pin, None) if isinstance(pin, int) else (None, pin)
        if name == "end_notice":  # the day after the notice's last day: the sweep closes it
            steps.append(Step(name, notice_days, ago=ago, on=on, unit=CALENDAR_DAYS))
        elif name == "objection":
            steps.append(Step(name, OBJECTION_AFTER_DAYS, ago=ago, on=on, unit=CALENDAR_DAYS))
        else:
            low, high = (gaps[name], gaps[name]) if gaps and name in gaps else GAPS.get(name, (0, 0))
            steps.append(Step(name, rng.randint(low, high), ago=ago, on=on))
    return steps


def category_for(household: Household) -> str:
    """A: no one able to work and nothing will change; C: someone of working age able to work; else B."""
    members = [m for m in household.members.all() if m.is_active and m.counted]
    if any(18 <= age_on(m.birth_date, workflow.today()) < 60 and m.labour_capacity == Member.LabourCapacity.FULL
           for m in members):
        return "C"
    if household.disabled_count or household.seriously_ill_count or household.elderly_count == len(members):
        return "A"
    return "B"


def walk(*, household: Household, goal: str, pins: dict, users: DemoUsers, schedule: Schedule,
         rng: random.Random, reason: str, staff_relative: bool = False, gaps: dict | None = None,
         category: str | None = None, exit_kind_reason: tuple[str, str] | None = None) -> Case:
    """Create a case for the household and take it to `goal`, each step at its date."""
    notice_days = policy_in_force(Division.objects.get(code=COUNTY), schedule.today).notice_days
    dates = schedule.dates(steps_for(goal, pins, rng, notice_days, gaps))
    entrant = users.entrant(household.division_code)
    case = None
    for n, (name, day) in enumerate(dates.items()):
        with at(day, minute=12 * n + rng.randint(0, 9)):
            case = _step(name, case, day, household=household, entrant=entrant, users=users, rng=rng,
                         reason=reason, staff_relative=staff_relative, category=category,
                         exit_kind_reason=exit_kind_reason)
    return case


def _visit(case, number, day, users, entrant):
    # Visit 1: a county officer with a village cadre; visit 2: the township and the county officer.
    # Whoever entered the application (the township for most villages) joins one visit only and never
    # records a visit (separation of duties): the county officer records them then.
    who, names = ([users.county2], ["村委委员孙立"]) if number == 1 else ([users.township, users.county2], [])
    recorder = users.county2 if entrant.pk == users.township.pk else users.township
    return workflow.run("visits", actor=recorder, case=case, number=number, visit_date=day,
                                   investigators=who, investigator_names=names, findings=VISIT_FINDINGS[number - 1],
                                   verified_monthly_income=case.household.monthly_counted_income,
                                   applicant_signed=True)


def _step(name, case, day, *, household, entrant, users, rng, reason, staff_relative, category, exit_kind_reason):
    county1 = users.county1
    if name == "create":
        head = household.members.filter(relationship="head", is_active=True).first()
        data = {"applicant": head, "reason": reason, "authorisation_signed": True,
                "authorisation_date": day - timedelta(days=rng.randint(0, 3))}
        if staff_relative:
            data |= {"staff_relative": True, "staff_relative_relation": "兄弟", "staff_relative_to": "村党支部书记"}
        return services.case_create(actor=entrant, household=household, **data)
    if name == "submit":
        return workflow.run("submit", actor=entrant, case=case)
    if name == "return":
        return workflow.run("return", actor=county1, case=case, reasons="缺少近三个月收入证明，请补充后重新提交。")
    if name == "withdraw":
        return workflow.run("withdraw", actor=entrant, case=case, reason="申请人家庭情况好转，主动撤回。")
    if name == "accept":
        return workflow.run("accept", actor=county1, case=case, on_date=day)
    if name in ("visit1", "visit2"):
        return _visit(case, int(name[-1]), day, users, entrant)
    if name == "open_notice":
        return workflow.run("open_notice", actor=county1, case=case, on_date=day)
    if name == "objection":
        return workflow.run("objection", actor=county1, case=case, raised_by="村民（匿名）", received_on=day,
                                          content="反映该户子女在城里有稳定工作和住房。")
    if name == "end_notice":
        return workflow.run("end_notice", actor=None, case=case, on_date=day)
    if name == "approve":
        return workflow.run("approve", actor=county1, case=case, on_date=day,
                                        category=category or category_for(case.household))
    if name == "reject":
        return workflow.run("reject", actor=county1, case=case, on_date=day, reason=reason_for_rejection(case, rng))
    if name == "exit":
        kind, text = exit_kind_reason or EXIT_REASONS[0]
        return workflow.run("exit", actor=county1, case=case, reason=text, kind=kind)
    raise ValueError(name)


def ensure_standard(county: Division, today: date) -> Decimal:
    """The standard in force today; Qingdao's rural 784 yuan from 2024 when the county has none
    (demo.seed.households sets the real ones)."""
    if not Standard.objects.filter(county=county).exists():
        Standard.objects.create(county=county, monthly_amount=Decimal("784"), effective_from=date(2024, 1, 1))
    return Standard.objects.filter(county=county, effective_from__lte=today).order_by(
        "-effective_from").first().monthly_amount


def reason_for_rejection(case: Case, rng: random.Random) -> str:
    standard = Standard.objects.filter(county__code=COUNTY, effective_from__lte=workflow.today()).order_by(
        "-effective_from").first()
    if standard and case.household.per_capita_monthly_income >= standard.monthly_amount:
        return rng.choice(REJECT_REASONS)
    return "经核查，家庭拥有小汽车一辆，不符合低保家庭财产条件。"


# ------------------------------------------------------------------------------ households


def _make_households(count: int, start: int) -> list[Household]:
    """Small complete households in the 南村镇 villages (when demo.seed.households has not run)."""
    villages = list(Division.objects.filter(code__startswith=TOWNSHIP[:9], level="village").order_by("code"))
    made = []
    for i in range(start, start + count):
        village = villages[i % len(villages)] if i % 2 else Division.objects.get(code=VILLAGE)
        size = 2 + i % 3
        income = Decimal(150 * size + 37 * (i % 5))
        head_name = SURNAMES[i % len(SURNAMES)] + "建" + "国华明丽强芳军"[i % 7]
        household = Household.objects.create(
            village=village, division_code=village.code, address=f"{village.name}{100 + i}号",
            bank_name="平度农商银行", bank_account=f"62210{i:011d}", head_name=head_name, size=size,
            counted_members=size, elderly_count=int(i % 3 == 0), minor_count=0,
            monthly_counted_income=income, per_capita_monthly_income=(income / size).quantize(Decimal("0.01")))
        for index in range(size):
            # The head born 1950-1975, the others 1978-1999: grown children.
            year = 1950 + (i * 7) % 26 if index == 0 else 1978 + (i * 5 + index * 7) % 22
            birth = date(year, 1 + (i + index) % 12, 1 + (i * 3 + index) % 28)
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


class Pool:
    """Complete 南村镇 households without an open case: below the standard, and just above it."""

    def __init__(self, standard: Decimal, today: date):
        head = Member.objects.filter(household=OuterRef("pk"), relationship="head", is_active=True)
        income = IncomeItem.objects.filter(household=OuterRef("pk"))
        open_case = Case.objects.filter(household=OuterRef("pk"), status__in=OPEN_STATES)
        car_or_business = Asset.objects.filter(household=OuterRef("pk"), kind__in=["vehicle", "business_registration"])
        qs = (Household.objects.filter(division_code__startswith=TOWNSHIP[:9], is_active=True, counted_members__gt=0)
              .exclude(bank_account_hash="").filter(Exists(head), Exists(income)).exclude(Exists(open_case))
              .annotate(asset_flag=Exists(car_or_business)).order_by("id"))
        self.eligible, self.above = [], []
        for h in qs[:600]:
            if h.per_capita_monthly_income < standard * Decimal("0.9") and not h.asset_flag:
                self.eligible.append(h)
            elif standard <= h.per_capita_monthly_income <= standard * Decimal("1.4"):
                self.above.append(h)
        self.today = today
        self.made = 0

    def _take(self, pool: list, predicate=None) -> Household:
        for i, h in enumerate(pool):
            if predicate is None or predicate(h):
                return pool.pop(i)
        with at(go_live_date(self.today)):
            made = _make_households(1, Household.objects.count() + self.made)
        self.made += 1
        return made[0]

    def eligible_household(self, predicate=None) -> Household:
        return self._take(self.eligible, predicate)

    def household_above(self) -> Household:
        return self._take(self.above)


def _grown_child(household: Household, today: date) -> Member | None:
    return (household.members.filter(is_active=True).exclude(relationship="head")
            .filter(birth_date__lte=date(today.year - 20, today.month, 1)).order_by("birth_date").first())


# ------------------------------------------------------------------------------ the seed


def seed(stdout) -> None:
    if Case.objects.filter(reason__startswith=MARK).exists():
        stdout.write("cases: demo cases already present, nothing to do.")
        return
    users = DemoUsers.load()
    if users is None:
        stdout.write("cases: demo users missing (run seed_demo), skipped.")
        return
    county = Division.objects.get(code=COUNTY)
    today = workflow.today()
    with transaction.atomic():
        standard = ensure_standard(county, today)
        schedule = Schedule(today)
        pool = Pool(standard, today)
        counts: dict = {}

        def add(case):
            counts[case.status] = counts.get(case.status, 0) + 1

        for index, (label, goal, pinned, ago, extras) in enumerate(PLAN):
            rng = random.Random(f"case:{label}")
            household = pool.household_above() if goal == "rejected" else pool.eligible_household()
            pins = {pinned: ago} | ({"exit": extras["exit_ago"]} if "exit_ago" in extras else {})
            add(walk(household=household, goal=goal, pins=pins, users=users, schedule=schedule, rng=rng,
                     reason=MARK + REASONS[index % len(REASONS)], staff_relative=extras.get("staff_relative", False),
                     gaps=extras.get("gaps"), exit_kind_reason=EXIT_REASONS[0]))
        for i in range(HISTORY):
            rng = random.Random(f"history:{i}")
            ago = 18 + 13 * i
            if i % 5 == 2:
                goal, household, pins = "rejected", pool.household_above(), {"reject": ago}
            elif i % 6 == 4:
                goal, household, pins = "closed", pool.eligible_household(), {"approve": ago, "exit": ago - 45}
            else:
                goal, household, pins = "active", pool.eligible_household(), {"approve": ago}
            add(walk(household=household, goal=goal, pins=pins, users=users, schedule=schedule, rng=rng,
                     reason=MARK + REASONS[i % len(REASONS)], exit_kind_reason=EXIT_REASONS[i % 2]))
        moved = 0
        for i in range(MOVES):
            rng = random.Random(f"move:{i}")
            moved += _moved_member(i, pool, users, schedule, rng, today, add)
    stdout.write("cases: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))
                 + f"; {moved} members moved between two open cases")


def _moved_member(i, pool, users, schedule, rng, today, add) -> int:
    """A grown child leaves a recipient household (approved ~8 months ago) for a household in another
    village, which applies a month later; the parents' case still covers the child until its review."""
    parents = pool.eligible_household(lambda h: _grown_child(h, today) is not None)
    child = _grown_child(parents, today)
    if child is None:
        return 0
    add(walk(household=parents, goal="active", pins={"approve": 160 + 20 * i}, users=users, schedule=schedule,
             rng=rng, reason=MARK + REASONS[(i + 2) % len(REASONS)]))
    new_home = pool.eligible_household(lambda h: h.division_code != parents.division_code)
    moved_on = schedule.ago(45 + 5 * i)
    with at(moved_on, minute=30):
        parents.refresh_from_db()
        member_remove(actor=users.entrant(parents.division_code), member=child, version=parents.version)
        new_home.refresh_from_db()
        member_add(actor=users.entrant(new_home.division_code), household=new_home, version=new_home.version, data={
            "id_number": child.person.id_number, "name": child.name, "relationship": "child_in_law",
            "labour_capacity": child.labour_capacity, "health": child.health})
    new_home.refresh_from_db()
    add(walk(household=new_home, goal="visit1", pins={"visit1": 4 + i}, users=users, schedule=schedule, rng=rng,
             reason=MARK + "儿媳嫁入后家庭人口增加，丈夫患病不能务工，家庭人均收入低于标准。"))
    return 1
