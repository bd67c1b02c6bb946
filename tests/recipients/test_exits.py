from datetime import date
from decimal import Decimal

import pytest

from accounts.models import Division
from audit.models import AuditEvent
from cases.models import CaseStatus
from dibao.errors import DomainError, InvalidTransition, NotPermitted
from recipients.models import CaseExit, PaymentLine, Recovery, Review
from recipients.services import case_exit, gradual_exits_close, payment_roll_generate, reviews_create_due
from tests.recipients.factories import make_case

pytestmark = pytest.mark.django_db


def _amounts(county, officer, months):
    out = []
    for month in months:
        roll = payment_roll_generate(actor=officer, county=county, month=month, today=date(2027, 12, 31))
        out.append(list(PaymentLine.objects.filter(roll=roll).values_list("percent", "amount")))
    return out


def test_gradual_exit_pays_the_schedule_and_then_stops(village, county, county_officer, policy):
    case = make_case(village, county_officer, amount="600.00", first_payment_month=date(2026, 1, 1))
    exit_row = case_exit(actor=county_officer, case=case, kind="income_above_line", reason="daughter works in Qingdao",
                         effective_month=date(2026, 3, 15), on_poverty_roster=False)
    case.refresh_from_db()
    assert case.status == CaseStatus.GRADUAL_EXIT
    assert (exit_row.effective_month, exit_row.end_month) == (date(2026, 3, 1), date(2026, 9, 1))
    months = [date(2026, m, 1) for m in range(2, 11)]
    assert _amounts(county, county_officer, months) == [
        [(100, Decimal("600.00"))],  # February: before the exit
        [(100, Decimal("600.00"))], [(100, Decimal("600.00"))],
        [(80, Decimal("480.00"))], [(80, Decimal("480.00"))],
        [(60, Decimal("360.00"))], [(60, Decimal("360.00"))],
        [], [],  # September on: nothing
    ]
    # The beat closes the case once the schedule has ended, and only then; idempotent.
    assert gradual_exits_close(today=date(2026, 8, 31)) == 0
    assert gradual_exits_close(today=date(2026, 9, 1)) == 1
    assert gradual_exits_close(today=date(2026, 9, 2)) == 0
    case.refresh_from_db()
    assert case.status == CaseStatus.CLOSED and case.closed_at is not None
    assert AuditEvent.objects.filter(action="case.gradual_exit_ended", object_id=str(case.pk)).count() == 1
    # After closing, past months still pay what they paid.
    roll = payment_roll_generate(actor=county_officer, county=county, month=date(2026, 8, 1), today=date(2027, 1, 1))
    assert roll.total_amount == Decimal("360.00")


def test_households_on_the_poverty_roster_get_the_longer_schedule(village, county_officer, policy):
    case = make_case(village, county_officer)
    exit_row = case_exit(actor=county_officer, case=case, kind="income_above_line", reason="work found",
                         effective_month=date(2026, 3, 1), on_poverty_roster=True)
    assert len(exit_row.gradual_schedule) == 12 and exit_row.end_month == date(2027, 3, 1)
    assert exit_row.on_poverty_roster


@pytest.mark.parametrize("kind", ["death", "moved_away", "refused_work", "income_far_above"])
def test_immediate_exits_close_the_case(village, county_officer, policy, kind):
    case = make_case(village, county_officer, category="C")
    reviews_create_due(today=date(2026, 7, 1))
    row = case_exit(actor=county_officer, case=case, kind=kind, reason="written reason", effective_month=date(2026, 7, 1))
    case.refresh_from_db()
    assert case.status == CaseStatus.CLOSED and case.version == 2
    assert row.end_month == date(2026, 7, 1) and row.gradual_schedule == []
    assert Review.objects.get(case=case).status == "cancelled"  # nothing left to review
    event = AuditEvent.objects.get(action="case.exit")
    assert event.division_code == village.code and event.after["status"] == "closed"
    assert not Recovery.objects.exists()


def test_fraud_records_the_amount_to_recover(village, county_officer):
    case = make_case(village, county_officer)
    row = case_exit(actor=county_officer, case=case, kind="fraud", reason="hid a business", effective_month=date(2026, 5, 1),
                    amount_to_recover="2400.00")
    recovery = Recovery.objects.get()
    assert (recovery.case_id, recovery.case_exit_id, recovery.amount) == (case.pk, row.pk, Decimal("2400.00"))
    assert AuditEvent.objects.get(action="case.exit").after["amount_to_recover"] == "2400.00"


@pytest.mark.parametrize("kwargs,field", [
    ({"kind": "death", "reason": "  "}, "reason"),
    ({"kind": "nonsense", "reason": "x"}, "kind"),
    ({"kind": "fraud", "reason": "x"}, "amount_to_recover"),
    ({"kind": "fraud", "reason": "x", "amount_to_recover": "-5"}, "amount_to_recover"),
    ({"kind": "death", "reason": "x", "amount_to_recover": "100"}, "amount_to_recover"),
    ({"kind": "death", "reason": "x", "effective_month": date(2025, 12, 1)}, "effective_month"),
])
def test_bad_exit_input_is_refused_and_nothing_changes(village, county_officer, kwargs, field):
    case = make_case(village, county_officer)
    kwargs.setdefault("effective_month", date(2026, 6, 1))
    with pytest.raises(DomainError) as err:
        case_exit(actor=county_officer, case=case, **kwargs)
    assert field in err.value.fields
    case.refresh_from_db()
    assert case.status == "active" and not CaseExit.objects.exists() and not AuditEvent.objects.exists()


def test_exit_needs_an_active_case_and_a_county_officer(village, county_officer, village_staff):
    case = make_case(village, county_officer)
    with pytest.raises(NotPermitted):
        case_exit(actor=village_staff, case=case, kind="death", reason="x", effective_month=date(2026, 6, 1))
    case_exit(actor=county_officer, case=case, kind="death", reason="x", effective_month=date(2026, 6, 1))
    with pytest.raises(InvalidTransition):
        case_exit(actor=county_officer, case=case, kind="death", reason="x", effective_month=date(2026, 6, 1))
    pending = make_case(village, county_officer, status=CaseStatus.IN_NOTICE)
    with pytest.raises(InvalidTransition):
        case_exit(actor=county_officer, case=pending, kind="death", reason="x", effective_month=date(2026, 6, 1))
    assert CaseExit.objects.count() == 1
    assert Division.objects.filter(code=village.code).exists()


def test_an_immediate_exit_during_a_gradual_exit_stops_the_rest(village, county, county_officer, policy):
    case = make_case(village, county_officer, amount="600.00", first_payment_month=date(2026, 1, 1))
    case_exit(actor=county_officer, case=case, kind="income_above_line", reason="works", effective_month=date(2026, 3, 1),
              on_poverty_roster=False)
    case.refresh_from_db()
    row = case_exit(actor=county_officer, case=case, kind="death", reason="died in May",
                    effective_month=date(2026, 6, 1), version=case.version)
    case.refresh_from_db()
    assert case.status == CaseStatus.CLOSED and CaseExit.objects.count() == 1
    assert (row.kind, row.end_month, row.gradual_schedule) == ("death", date(2026, 6, 1), [100, 100, 80])
    assert _amounts(county, county_officer, [date(2026, 5, 1), date(2026, 6, 1)]) == [[(80, Decimal("480.00"))], []]
    assert gradual_exits_close(today=date(2026, 12, 1)) == 0  # already closed
    with pytest.raises(InvalidTransition):  # a closed case cannot exit again
        case_exit(actor=county_officer, case=case, kind="fraud", reason="x", effective_month=date(2026, 6, 1),
                  amount_to_recover="10")


def test_a_second_gradual_exit_is_refused(village, county_officer, policy):
    case = make_case(village, county_officer)
    case_exit(actor=county_officer, case=case, kind="income_above_line", reason="works", effective_month=date(2026, 3, 1),
              on_poverty_roster=False)
    with pytest.raises(InvalidTransition):
        case_exit(actor=county_officer, case=case, kind="income_above_line", reason="again",
                  effective_month=date(2026, 4, 1), on_poverty_roster=False)


def test_beat_tasks_are_scheduled_and_run(village, county_officer, policy):
    from dibao.celery import app
    from recipients import tasks

    app.loader.import_default_modules()
    app.finalize()
    schedule = app.conf.beat_schedule
    assert schedule["recipients-create-due-reviews"]["task"] == "recipients.tasks.create_due_reviews"
    assert schedule["recipients-close-finished-gradual-exits"]["task"] == "recipients.tasks.close_finished_gradual_exits"
    case = make_case(village, county_officer)
    case_exit(actor=county_officer, case=case, kind="income_above_line", reason="works", effective_month=date(2026, 3, 1),
              on_poverty_roster=False)
    assert tasks.close_finished_gradual_exits.delay("2026-08-31").get() == 0
    assert tasks.close_finished_gradual_exits.delay("2026-09-01").get() == 1
    case.refresh_from_db()
    assert case.status == CaseStatus.CLOSED
