import threading
from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.http import Http404

from audit.models import AuditEvent
from cases.models import CaseStatus
from dibao.errors import Conflict, DomainError, InvalidTransition, NotPermitted, StaleVersion
from jobs.models import Job, JobStatus
from recipients.models import PaymentLine, PaymentRoll, Review
from recipients.selectors import roll_village_totals
from recipients.services import (
    case_exit,
    payment_roll_finalise,
    payment_roll_generate,
    payment_roll_review,
    payment_roll_start,
    review_complete,
    review_confirm_amount,
    reviews_create_due,
)
from tests.recipients.factories import make_case

TODAY = date(2026, 12, 15)


@pytest.fixture
def worked_example(db, village, other_village, other_county_village, county_officer, county_officer2, policy,
                   standard):
    """Six households; see the sums in the test."""
    cases = {}
    cases["a"] = make_case(village, county_officer, amount="500.00", category="A", first_payment_month=date(2026, 1, 1))
    review = review_report_change_for(cases["a"], county_officer)
    review_complete(actor=county_officer, review=review, outcome="adjust", findings="pension rose",
                    verified_per_capita_income="490.00", today=date(2026, 3, 20),
                    override_reason_kind="medical", override_reason="户主住院，自付医疗费每月约八百元")
    # A raise: the second officer's confirmation makes it 620 from April.
    review_confirm_amount(actor=county_officer2, review=review, today=date(2026, 3, 20))
    cases["b"] = make_case(village, county_officer, amount="400.00", first_payment_month=date(2026, 1, 1))
    case_exit(actor=county_officer, case=cases["b"], kind="moved_away", reason="moved to the city",
              effective_month=date(2026, 5, 1))
    cases["c"] = make_case(village, county_officer, amount="300.00", first_payment_month=date(2026, 6, 1))  # new
    cases["d"] = make_case(village, county_officer, amount="450.00", first_payment_month=date(2026, 1, 1))
    case_exit(actor=county_officer, case=cases["d"], kind="income_above_line", reason="son works",
              effective_month=date(2026, 5, 1), on_poverty_roster=False)
    cases["e"] = make_case(other_village, county_officer, amount="350.00", first_payment_month=date(2026, 2, 1))
    cases["other_county"] = make_case(other_county_village, county_officer, amount="999.00",
                                      first_payment_month=date(2026, 1, 1))
    cases["pending"] = make_case(village, county_officer, amount="777.00", status=CaseStatus.IN_NOTICE,
                                 first_payment_month=None)
    return cases


def review_report_change_for(case, officer):
    from recipients.services import review_report_change

    return review_report_change(actor=officer, case=case, reported_change="pension", today=date(2026, 3, 18))


@pytest.mark.parametrize("month,expected", [
    (date(2026, 1, 1), {"a": "500.00", "b": "400.00", "d": "450.00"}),
    (date(2026, 3, 1), {"a": "500.00", "b": "400.00", "d": "450.00", "e": "350.00"}),
    (date(2026, 4, 1), {"a": "620.00", "b": "400.00", "d": "450.00", "e": "350.00"}),
    (date(2026, 6, 1), {"a": "620.00", "c": "300.00", "d": "450.00", "e": "350.00"}),
    (date(2026, 7, 1), {"a": "620.00", "c": "300.00", "d": "360.00", "e": "350.00"}),
])
def test_a_roll_equals_the_sum_of_the_cases_amounts_in_force(worked_example, county, county_officer, month, expected):
    roll = payment_roll_generate(actor=county_officer, county=county, month=month, today=TODAY)
    by_case = {c.pk: name for name, c in worked_example.items()}
    lines = {by_case[line.case_id]: str(line.amount) for line in PaymentLine.objects.filter(roll=roll)}
    assert lines == expected
    assert roll.total_amount == sum(Decimal(v) for v in expected.values())
    assert roll.line_count == len(expected)


def test_village_totals_and_line_details(worked_example, county, county_officer, village, other_village):
    roll = payment_roll_generate(actor=county_officer, county=county, month=date(2026, 6, 1), today=TODAY)
    assert roll.total_amount == Decimal("1720.00")
    assert [(t["village_code"], t["households"], t["total"]) for t in roll_village_totals(roll)] == [
        (village.code, 3, Decimal("1370.00")), (other_village.code, 1, Decimal("350.00"))]
    line = PaymentLine.objects.get(roll=roll, case=worked_example["d"])
    assert (line.full_amount, line.percent, line.amount) == (Decimal("450.00"), 100, Decimal("450.00"))
    assert line.payee_name.startswith("户主") and "*" in line.payee_id_masked and len(line.payee_id_masked) == 18
    assert line.bank_account == "6228480012345678" and line.village_name == village.name


@pytest.mark.django_db
def test_generation_is_idempotent_and_regenerating_a_draft_replaces_its_lines(village, county, county_officer):
    make_case(village, county_officer, amount="500.00")
    first = payment_roll_generate(actor=county_officer, county=county, month=date(2026, 3, 1), today=TODAY)
    second = payment_roll_generate(actor=county_officer, county=county, month=date(2026, 3, 20), today=TODAY)
    assert first.pk == second.pk and PaymentRoll.objects.count() == 1
    assert PaymentLine.objects.count() == 1 and second.version == 2
    make_case(village, county_officer, amount="250.00")
    third = payment_roll_generate(actor=county_officer, county=county, month=date(2026, 3, 1), today=TODAY)
    assert PaymentLine.objects.filter(roll=third).count() == 2 and third.total_amount == Decimal("750.00")
    assert [e.action for e in AuditEvent.objects.filter(object_type="recipients.paymentroll").order_by("id")] == [
        "payment_roll.generated", "payment_roll.regenerated", "payment_roll.regenerated"]


@pytest.mark.django_db
def test_review_then_finalise_then_nothing_can_change(village, county, county_officer, county_officer2):
    make_case(village, county_officer, amount="500.00")
    roll = payment_roll_generate(actor=county_officer, county=county, month=date(2026, 3, 1), today=TODAY)
    with pytest.raises(InvalidTransition):
        payment_roll_finalise(actor=county_officer2, roll=roll)  # not reviewed yet
    with pytest.raises(NotPermitted):
        payment_roll_review(actor=county_officer, roll=roll)  # four eyes: not the generator
    with pytest.raises(StaleVersion):
        payment_roll_review(actor=county_officer2, roll=roll, version=roll.version + 1)
    roll = payment_roll_review(actor=county_officer2, roll=roll, version=roll.version)
    with pytest.raises(Conflict):
        payment_roll_generate(actor=county_officer, county=county, month=date(2026, 3, 1), today=TODAY)
    roll = payment_roll_finalise(actor=county_officer, roll=roll, version=roll.version)
    assert roll.status == "finalised" and roll.finalised_by == county_officer

    make_case(village, county_officer, amount="999.00")  # a later approval must not slip into the finalised roll
    with pytest.raises(Conflict) as err:
        payment_roll_generate(actor=county_officer, county=county, month=date(2026, 3, 1), today=TODAY)
    assert err.value.code == "roll_locked" and "2026-03" in str(err.value.message)
    for service in (payment_roll_review, payment_roll_finalise):
        with pytest.raises(InvalidTransition):
            service(actor=county_officer2, roll=roll)
    roll.refresh_from_db()
    assert roll.status == "finalised" and roll.total_amount == Decimal("500.00") and roll.line_count == 1
    assert list(PaymentLine.objects.values_list("amount", flat=True)) == [Decimal("500.00")]


@pytest.mark.django_db
def test_future_month_other_county_and_wrong_role_are_refused(village, county, other_county, county_officer,
                                                              other_county_officer, auditor):
    make_case(village, county_officer)
    with pytest.raises(DomainError) as err:
        payment_roll_generate(actor=county_officer, county=county, month=date(2027, 1, 1), today=TODAY)
    assert "month" in err.value.fields
    payment_roll_generate(actor=county_officer, county=county, month=date(2026, 12, 1), today=TODAY)  # this month: ok
    with pytest.raises(Http404):
        payment_roll_generate(actor=other_county_officer, county=county, month=date(2026, 11, 1), today=TODAY)
    with pytest.raises(NotPermitted):
        payment_roll_generate(actor=auditor, county=county, month=date(2026, 11, 1), today=TODAY)
    assert PaymentRoll.objects.count() == 1


@pytest.mark.django_db
def test_a_review_due_creates_no_payment_difference(village, county, county_officer, policy):
    make_case(village, county_officer, category="C", amount="500.00")
    reviews_create_due(today=date(2026, 7, 1))
    assert Review.objects.count() == 1
    roll = payment_roll_generate(actor=county_officer, county=county, month=date(2026, 7, 1), today=TODAY)
    assert roll.total_amount == Decimal("500.00")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_generations_make_one_roll(village, county, county_officer):
    for amount in ("500.00", "300.00", "200.00"):
        make_case(village, county_officer, amount=amount)
    barrier = threading.Barrier(4)
    results, errors = [], []

    def generate():
        try:
            barrier.wait(timeout=10)
            roll = payment_roll_generate(actor=county_officer, county=county, month=date(2026, 3, 1), today=TODAY)
            results.append(roll.pk)
        except Exception as exc:  # collected and asserted below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=generate) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    assert len(set(results)) == 1 and len(results) == 4
    roll = PaymentRoll.objects.get()
    assert PaymentLine.objects.filter(roll=roll).count() == 3
    assert roll.total_amount == Decimal("1000.00") and roll.version == 4


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_requests_start_one_job_and_make_one_roll(village, county, county_officer, county_officer2):
    """Four officers press "generate" at once (the page and the API come here): one job is queued for the
    county and month, and running it makes the one roll."""
    for amount in ("500.00", "300.00", "200.00"):
        make_case(village, county_officer, amount=amount)
    barrier = threading.Barrier(4)
    jobs, errors = [], []

    def start(actor):
        try:
            barrier.wait(timeout=10)
            jobs.append(payment_roll_start(actor=actor, county=county, month=date(2026, 3, 1), today=TODAY).pk)
        except Exception as exc:  # collected and asserted below
            errors.append(exc)
        finally:
            connection.close()

    # Tests run tasks eagerly: the first job has run (and succeeded) once its transaction committed, so a
    # later start may queue a regeneration; none may run alongside another, and there is one roll.
    threads = [threading.Thread(target=start, args=(u,)) for u in (county_officer, county_officer2) * 2]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == [] and len(jobs) == 4
    assert {j.status for j in Job.objects.filter(pk__in=jobs)} == {JobStatus.SUCCEEDED}
    roll = PaymentRoll.objects.get()
    assert PaymentLine.objects.filter(roll=roll).count() == 3 and roll.total_amount == Decimal("1000.00")
    assert {Job.objects.get(pk=pk).params["roll"] for pk in jobs} == {roll.pk}
