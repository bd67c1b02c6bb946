"""The demo data is believable: each case follows its own timeline, every overlap rule that the
database can reach finds something, and the dashboard's figures come out of real histories.

The full seed runs inside the test that checks it, once per day of SEED_DAYS with the clock pinned there
(tests/demo/test_seed_demo.py checks that a second run changes nothing)."""

import io
import random
from datetime import date, datetime, time, timedelta

import pytest
import time_machine
from django.core.management import call_command
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import Division
from audit.models import AuditEvent
from cases.benefit import policy_in_force
from cases.models import ACCEPTED_PENDING_STATES, Case, CaseStatus, Holiday, PublicNotice
from cases.months import add_months, first_of_month
from cases.selectors import near_deadline_date, overdue_q
from cases.working_days import add_working_days, working_days_between
from demo.clock import at, go_live_date
from demo.schedule import CALENDAR_DAYS, Schedule, Step
from demo.seed.cases import PATHS, steps_for
from demo.seed.poverty_registry import mistyped
from demo.seed.recipients import CHANGES_REPORTED
from households.models import Member
from overlaps.models import FlagStatus, OverlapFlag, RuleCode
from overlaps.rules import RULES
from recipients.models import PaymentRoll, Review, ReviewKind, ReviewStatus, RollStatus
from reports.dashboard import dashboard_data

pytestmark = pytest.mark.django_db

# The order of a case's audit events: every step of PATHS is one transition (or the entry).
ACTIONS = {"create": "case.create", "submit": "case.submit", "return": "case.return", "withdraw": "case.withdraw",
           "accept": "case.accept", "visit1": "case.visits", "visit2": "case.visits",
           "open_notice": "case.open_notice", "objection": "case.objection", "end_notice": "case.end_notice",
           "approve": "case.approve", "reject": "case.reject", "exit": "case.exit"}


# ------------------------------------------------------------------ the schedule, on the holiday table


def test_schedule_counts_working_days_like_the_deadlines():
    assert Holiday.objects.filter(date=date(2025, 10, 1)).exists()  # seeded by the migration
    schedule = Schedule(date(2025, 12, 31))
    # Accepted the day before National Day 2025 (1-8 October, Saturday 11 October worked).
    start = date(2025, 9, 30)
    for n in (1, 5, 10, 30):
        assert schedule.forward(start, n) == add_working_days(start, n).date
        assert schedule.back(schedule.forward(start, n), n) == start
        assert schedule.working_days_between(start, schedule.forward(start, n)) == working_days_between(
            start, schedule.forward(start, n))
    assert schedule.forward(start, 1) == date(2025, 10, 9)
    assert schedule.is_working_day(date(2025, 10, 11)) and not schedule.is_working_day(date(2025, 10, 4))


def test_schedule_lays_steps_around_the_pinned_one_and_never_opens_a_notice_on_a_holiday():
    schedule = Schedule(date(2025, 10, 31))
    # The decision pinned to 14 October: the notice would have opened on 2 October (a holiday).
    steps = [Step("accept"), Step("visit1", 2), Step("open_notice", 1),
             Step("end_notice", 7, unit=CALENDAR_DAYS), Step("approve", 2, on=date(2025, 10, 14))]
    dates = schedule.dates(steps)
    assert schedule.is_working_day(dates["open_notice"]) and dates["open_notice"] == date(2025, 9, 30)
    assert dates["end_notice"] == dates["open_notice"] + timedelta(days=7)
    assert dates["approve"] == date(2025, 10, 14)
    assert list(dates.values()) == sorted(dates.values())
    assert all(schedule.is_working_day(d) for name, d in dates.items() if name != "end_notice")
    with pytest.raises(ValueError):
        schedule.dates([Step("accept", ago=0), Step("visit1", 3)])  # would end after today


def test_a_notice_before_a_long_holiday_opens_after_it_when_the_decision_comes_later():
    """Decided 22 October 2025, six working days after the notice: opened back on 30 September, the
    notice would have ended on 7 October, eleven working days before the decision (limit 10)."""
    schedule = Schedule(date(2025, 10, 31))
    steps = [Step("accept"), Step("visit1", 2), Step("open_notice", 1),
             Step("end_notice", 7, unit=CALENDAR_DAYS), Step("approve", 6, on=date(2025, 10, 22))]
    dates = schedule.dates(steps)
    assert dates["open_notice"] == date(2025, 10, 9)  # the first working day after National Day
    assert dates["end_notice"] == date(2025, 10, 16)
    assert working_days_between(dates["end_notice"] - timedelta(days=1), dates["approve"]) == 5
    assert list(dates.values()) == sorted(dates.values())


@pytest.mark.parametrize("goal", sorted(PATHS))
def test_every_path_fits_the_limits(goal):
    """Drawn gaps: acceptance to decision within 30 working days, decision within 10 of the notice."""
    schedule = Schedule(date(2026, 11, 27))
    for seed in range(40):
        steps = steps_for(goal, {PATHS[goal][-1]: 3}, random.Random(seed), notice_days=7)
        dates = schedule.dates(steps)
        if "accept" in dates and ("approve" in dates or "reject" in dates):
            decided = dates.get("approve") or dates["reject"]
            assert schedule.working_days_between(dates["accept"], decided) <= 30
            assert schedule.working_days_between(dates["end_notice"] - timedelta(days=1), decided) <= 10


def test_the_demo_clock_moves_every_timestamp_and_never_into_the_future():
    day = date(2025, 3, 12)
    with at(day, minute=5):
        assert timezone.localdate() == day and date.today() == day
        assert timezone.localtime().hour == 9 and timezone.localtime().minute == 5
    now = timezone.now()
    with at(timezone.localdate(), minute=600):
        assert timezone.now() <= now + timedelta(seconds=5)
    assert go_live_date(date(2026, 11, 29)) == date(2024, 9, 6)


def test_mistyped_id_number_is_valid_and_one_slip_away():
    from households.idnumber import make_id_number, parse_id_number
    from overlaps.rules.persons import probable_duplicate_reason

    for number in ("11010519491231002X", make_id_number("370283", date(1980, 5, 1), 1),
                   make_id_number("370283", date(1950, 11, 11), 55), make_id_number("370283", date(1962, 1, 2), 338)):
        typo = mistyped(number)
        assert typo != number and parse_id_number(typo).birth_date == parse_id_number(number).birth_date
        assert parse_id_number(typo).sex == parse_id_number(number).sex
        assert probable_duplicate_reason(number, typo) in ("transposition", "one_digit")


# ------------------------------------------------------------------ the seeded demo


def _local_day(moment):
    return timezone.localtime(moment).date() if moment else None


def _check_timeline(case, today, policy):
    """Every date of the case in the order the procedure gives, none in the future."""
    created = _local_day(case.created_at)
    assert created <= today
    if case.authorisation_date:
        assert case.authorisation_date <= created
    events = list(AuditEvent.objects.filter(object_type="cases.case", object_id=str(case.pk)).order_by("id"))
    assert max(e.created_at for e in events) <= timezone.now()
    # The workflow's own events (documents and complaints about the case come in between) happened
    # in the order they were recorded.
    moments = [e.created_at for e in events if e.action in ACTIONS.values()]
    assert moments == sorted(moments)
    assert events[0].action == "case.create" and _local_day(events[0].created_at) == created
    if case.status == CaseStatus.DRAFT and not case.submitted_at:
        return
    submitted = _local_day(case.submitted_at)
    assert created <= submitted <= today
    if case.accepted_on is None:
        return
    assert submitted <= case.accepted_on == _local_day(case.accepted_at)
    assert case.deadline == add_working_days(case.accepted_on, policy.deadline_days).date
    visits = list(case.visits.order_by("round", "number"))
    notices = list(case.notices.order_by("starts_on"))
    for visit in visits:
        assert case.accepted_on <= visit.visit_date <= today
    for number, notice in enumerate(notices):
        round_visits = [v.visit_date for v in visits if v.round == number + 1]
        assert len(round_visits) == 2 and max(round_visits) <= notice.starts_on
        assert notice.ends_on == notice.starts_on + timedelta(days=notice.days - 1)
    if visits:
        assert [v.visit_date for v in visits if v.round == 1] == sorted(v.visit_date for v in visits if v.round == 1)
    decision = case.decisions.first()
    if decision is not None:
        notice = notices[-1]
        assert notice.outcome == PublicNotice.Outcome.ENDED
        assert notice.ends_on < decision.decided_on == _local_day(case.decided_at)
        assert working_days_between(notice.ends_on, decision.decided_on) <= policy.decision_days
        assert decision.decided_on <= case.deadline  # within the 30 working days
        if decision.outcome == "approved":
            assert case.first_payment_month == add_months(first_of_month(decision.decided_on), 1)
    if case.closed_at and decision is not None:
        assert _local_day(case.closed_at) >= decision.decided_on


# The demo is seeded on whatever day `make run` happens: these days are its calendar's edges.
SEED_DAYS = [
    date(2026, 8, 31),  # a month end (this month's payment roll is already out)
    date(2026, 1, 1),  # New Year's Day: a holiday, and the first day of a year
    date(2026, 9, 30),  # the day before National Day (eight days off follow)
    date(2027, 3, 15),  # a year the holiday table does not know yet (weekends only)
]


@pytest.mark.parametrize("today", SEED_DAYS, ids=str)
def test_seeded_demo_holds_its_invariants_on_any_day(settings, today):
    settings.DEBUG = True
    with time_machine.travel(timezone.make_aware(datetime.combine(today, time(8, 30))), tick=True):
        call_command("seed_demo", stdout=io.StringIO())
        assert timezone.localdate() == today
        _check_seeded_demo(today)


def _check_seeded_demo(today):
    county = Division.objects.get(code="370283000000")
    policy = policy_in_force(county, today)

    # (a) Timelines: every demo case, whichever part of the demo made it.
    cases = list(Case.objects.select_related("household").order_by("id"))
    assert len(cases) >= 40
    for case in cases:
        _check_timeline(case, today, policy)
    # Older cases are old: the visits of cases accepted more than a month ago are not dated today.
    accepted_long_ago = [c for c in cases if c.accepted_on and c.accepted_on < today - timedelta(days=31)]
    assert len(accepted_long_ago) >= 20
    assert not any(v.visit_date == today for c in accepted_long_ago for v in c.visits.all())
    # The paper trail: the household was entered before its application.
    assert all(c.household.created_at <= c.created_at for c in cases)
    # Exactly the two cases overdue on purpose are overdue; the rest are within their limits.
    overdue = Case.objects.filter(overdue_q(near_deadline_date()))
    assert sorted(overdue.values_list("status", flat=True)) == [CaseStatus.AWAITING_DECISION,
                                                                CaseStatus.UNDER_INVESTIGATION]
    assert overdue.filter(deadline__lt=today).count() == 2  # the dashboard counts both
    assert Case.objects.filter(status=CaseStatus.GRADUAL_EXIT).count() == 1
    assert set(Case.objects.values_list("status", flat=True)) == set(CaseStatus.values)  # every state shown

    # (b) Findings of the scan seed_demo ran: every rule the database can reach.
    found = set(OverlapFlag.objects.filter(status=FlagStatus.OPEN).values_list("rule", flat=True))
    assert found == set(RULES) - {RuleCode.DUPLICATE_PERSON_HOUSEHOLDS}
    # The eighth needs a person active in two households, which the database refuses outright
    # (member_one_active_household_per_person); the rule guards data loaded around it.
    member = Member.objects.filter(is_active=True).select_related("person").first()
    other = Case.objects.exclude(household=member.household).first().household
    with pytest.raises(IntegrityError), transaction.atomic():
        Member.objects.create(household=other, person=member.person, name=member.name, relationship="other",
                              sex=member.sex, birth_date=member.birth_date)
    _check_planted_findings()

    # (c) Reviews and payment rolls: created when due, a year of rolls each out early in its own month.
    _check_reviews_and_rolls(today)

    # (d) The dashboard: decisions spread over the year, processing times in working days.
    data = dashboard_data(county)
    assert data["totals"]["decided"] >= 25
    months_with_decisions = [row for row in data["series"]["rows"] if row["approved"] + row["rejected"]]
    assert len(months_with_decisions) >= 10
    if data["percentiles_supported"]:
        assert 10 <= data["totals"]["median_days"] <= data["totals"]["p90_days"] <= 30


def _check_reviews_and_rolls(today):
    # Two households reported a change today, each on a review of its own.
    reported = Review.objects.filter(kind=ReviewKind.CHANGE_REPORTED, status=ReviewStatus.DUE)
    assert sorted(reported.values_list("reported_change", flat=True)) == sorted(CHANGES_REPORTED)
    assert set(reported.values_list("due_date", flat=True)) == {today}
    completed = Review.objects.filter(status=ReviewStatus.COMPLETED)
    assert completed.count() >= 5
    for review in completed:
        created, done = timezone.localtime(review.created_at).date(), timezone.localtime(review.completed_at).date()
        assert review.due_date <= created <= done < today
    rolls = list(PaymentRoll.objects.order_by("month"))
    finalised = [r for r in rolls if r.status == RollStatus.FINALISED]
    assert len(finalised) == 12 and [r.status for r in rolls[12:]] in ([], [RollStatus.DRAFT])
    assert all(a.month < b.month for a, b in zip(rolls, rolls[1:], strict=False))
    for roll in rolls:
        generated = timezone.localtime(roll.generated_at).date()
        assert (generated.year, generated.month) == (roll.month.year, roll.month.month) and generated <= today
    for roll in finalised:
        assert roll.generated_at < roll.reviewed_at < roll.finalised_at
        assert roll.line_count >= 1
    assert finalised[-1].line_count >= 5  # the recipients of the demo, all approved by last month


def _check_planted_findings():
    flags = OverlapFlag.objects.filter(status=FlagStatus.OPEN)
    # DOUBLE_DIBAO: a person who left a recipient household (its case still covers them until the
    # review) and joined a household whose application is pending.
    double = list(flags.filter(rule=RuleCode.DOUBLE_DIBAO).prefetch_related("cases"))
    assert len(double) >= 2
    for flag in double:
        person_id = flag.details["person_id"]
        statuses = {c.status for c in flag.cases.all()}
        assert CaseStatus.ACTIVE in statuses and statuses & {CaseStatus.UNDER_INVESTIGATION}
        left = Member.objects.get(person_id=person_id, is_active=False)
        joined = Member.objects.get(person_id=person_id, is_active=True)
        assert left.household.cases.filter(status=CaseStatus.ACTIVE).exists()
        assert joined.household.cases.filter(status=CaseStatus.UNDER_INVESTIGATION).exists()
    # STATUS_CONFLICT: lifted with an income above the standard, paid in full below it; not also
    # flagged as an ineligible recipient (the two figures stay within the disagreement ratio).
    conflicts = list(flags.filter(rule=RuleCode.STATUS_CONFLICT))
    ineligible = list(flags.filter(rule=RuleCode.INELIGIBLE_RECIPIENT))
    assert len(conflicts) >= 2 and len(ineligible) >= 2
    for flag in conflicts:
        d = flag.details
        assert d["registry_status"] == "lifted" and d["case_status"] == CaseStatus.ACTIVE
        assert float(d["registry_monthly_income"]) >= float(d["standard"]) > float(d["dibao_monthly_income"])
    assert not {f.subject_key for f in conflicts} & {f.subject_key for f in ineligible}
    for flag in ineligible:
        assert flag.details["registry_status"] != "lifted" and flag.details["reasons"]
    # PROBABLE_DUPLICATE: the registry's record of a dibao member with two digits swapped.
    duplicates = list(flags.filter(rule=RuleCode.PROBABLE_DUPLICATE))
    assert len(duplicates) >= 2
    for flag in duplicates:
        assert flag.details["reason"] in ("transposition", "one_digit")
        assert len(set(flag.details["names"])) == 1
    # APPLICATION_ROSTER_CONFLICT: accepted, undecided applications the registry marks lifted out with an
    # income far above the standard and the declared one.
    applications = list(flags.filter(rule=RuleCode.APPLICATION_ROSTER_CONFLICT).prefetch_related("cases"))
    assert len(applications) >= 2
    for flag in applications:
        assert [c.status for c in flag.cases.all()][0] in ACCEPTED_PENDING_STATES
        assert flag.details["registry_status"] == "lifted"
        assert float(flag.details["registry_monthly_income"]) > 4 * float(flag.details["standard"])
        assert float(flag.details["dibao_monthly_income"]) < float(flag.details["standard"])
    assert flags.filter(rule=RuleCode.STAFF_RELATIVE).exists()
    assert flags.filter(rule=RuleCode.PROTECTION_GAP).count() >= 5
    assert flags.filter(rule=RuleCode.EDGE_HOUSEHOLD).count() >= 5
