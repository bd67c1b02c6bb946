from datetime import timedelta
from decimal import Decimal

import pytest

from recipients.models import PaymentLine, PaymentRoll
from reports.dashboard import dashboard_data
from tests.reports.test_reports import run

pytestmark = pytest.mark.django_db


def previous_month(day):
    return (day.replace(day=1) - timedelta(days=1)).replace(day=1)


@pytest.fixture
def rolls(worked_example, county, other_county, today):
    this_month = today.replace(day=1)
    last_month = previous_month(today)

    def roll(division, month, status, lines):
        r = PaymentRoll.objects.create(county=division, month=month, status=status)
        for case, amount in lines:
            PaymentLine.objects.create(roll=r, case=case, household=case.household, village_code=case.division_code,
                                       village_name=case.household.village.name, payee_name=case.household.head_name,
                                       full_amount=amount, amount=amount)
        return r

    a, b, f, h = (worked_example[k] for k in "ABFH")
    roll(county, this_month, "finalised", [(a, Decimal("800")), (b, Decimal("400")), (f, Decimal("240"))])
    roll(county, last_month, "finalised", [(a, Decimal("800"))])
    roll(county, previous_month(last_month), "draft", [(a, Decimal("800")), (b, Decimal("400"))])  # not paid
    roll(other_county, this_month, "finalised", [(h, Decimal("999"))])  # another county
    return this_month, last_month


def test_dashboard_money_paid(rolls, county, township, village, other_village):
    this_month, last_month = rolls
    data = dashboard_data(county)
    payments = data["payments"]
    by_month = {r["month"]: r for r in payments["by_month"]}
    assert by_month[this_month]["amount"] == Decimal("1440") and by_month[this_month]["households"] == 3
    assert by_month[last_month]["amount"] == Decimal("800")
    assert payments["total"] == Decimal("2240")
    assert payments["average"] == Decimal("2240") / 4
    assert sum(q["amount"] for q in payments["by_quarter"]) == Decimal("2240")
    rows = {r["code"]: r for r in dashboard_data(township)["rows"]}
    assert rows[village.code]["paid"]["amount"] == Decimal("2000")
    assert rows[other_village.code]["paid"]["amount"] == Decimal("240")


def test_payment_summary_report(rolls, county_auditor, other_county_officer, village, other_village):
    this_month, last_month = rolls
    rows = run("payment_summary", county_auditor)
    got = {(r["division_code"], r["month"]): (r["households"], r["amount"]) for r in rows}
    assert got == {
        (village.code, this_month.strftime("%Y-%m")): (2, "1200.00"),
        (village.code, last_month.strftime("%Y-%m")): (1, "800.00"),
        (other_village.code, this_month.strftime("%Y-%m")): (1, "240.00"),
    }
    assert sum(Decimal(r["amount"]) for r in rows) == Decimal("2240.00")
    only_this = run("payment_summary", county_auditor, date_from=this_month.isoformat())
    assert sum(Decimal(r["amount"]) for r in only_this) == Decimal("1440.00")
    other = run("payment_summary", other_county_officer)
    assert [(r["households"], r["amount"]) for r in other] == [(1, "999.00")]


def test_payment_figures_cached_until_a_roll_is_finalised(rolls, county, django_assert_num_queries):
    first = dashboard_data(county)["payments"]["total"]
    # The lines query is answered from the cache (the case figures are recomputed: uncommitted here).
    with django_assert_num_queries(7):
        assert dashboard_data(county)["payments"]["total"] == first
    roll = PaymentRoll.objects.get(status="draft")
    PaymentRoll.objects.filter(pk=roll.pk).update(status="finalised", version=roll.version + 1)
    assert dashboard_data(county)["payments"]["total"] == first + Decimal("1200")
