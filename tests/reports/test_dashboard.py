from decimal import Decimal

import pytest
from django.db import connections
from django.test.utils import CaptureQueriesContext

from reports.dashboard import dashboard_data
from tests.factories import DivisionFactory
from tests.reports.factories import make_case

pytestmark = pytest.mark.django_db


def rows_by_code(data):
    return {row["code"]: row for row in data["rows"]}


def test_county_figures_equal_hand_counts(worked_example, county, township, village, other_village, is_postgres):
    data = dashboard_data(county)
    t = data["totals"]
    # Recipients: A, B (village) and F (other village); H is in another county.
    assert t["recipient_households"] == 3
    assert t["recipient_persons"] == 4 + 2 + 1
    assert t["population"] == 1500
    assert t["coverage"] == round(7 / 1500 * 100, 2)
    assert t["pending"] == 2  # D, E (G is a draft)
    assert t["overdue"] == 1  # D
    assert t["staff_relative"] == 1  # B
    assert t["approved"] == 3 and t["rejected"] == 1
    assert t["approval_rate"] == 75.0
    assert t["applications"] == 6  # A-F submitted in the last 12 months; G never submitted
    assert t["average_benefit"] == Decimal("1500.00") / 3
    # The county has one township: one row.
    assert [row["code"] for row in data["rows"]] == [township.code]
    if is_postgres:
        assert t["median_days"] == 25.0  # days 10, 20, 30, 40
        assert t["p90_days"] == pytest.approx(37.0)


def test_township_drills_down_to_villages(worked_example, township, village, other_village, is_postgres):
    data = dashboard_data(township)
    rows = rows_by_code(data)
    assert set(rows) == {village.code, other_village.code}
    v, o = rows[village.code], rows[other_village.code]
    assert (v["recipient_households"], v["recipient_persons"], v["pending"], v["overdue"]) == (2, 6, 2, 1)
    assert (o["recipient_households"], o["recipient_persons"], o["pending"], o["overdue"]) == (1, 1, 0, 0)
    assert v["coverage"] == 0.6 and o["coverage"] == 0.2
    assert v["approval_rate"] == round(2 / 3 * 100, 2) and o["approval_rate"] == 100.0
    assert v["average_benefit"] == Decimal("600.00")
    if is_postgres:
        assert v["median_days"] == 20.0 and v["p90_days"] == pytest.approx(28.0)
        assert o["median_days"] == 40.0


def test_village_level_shows_itself(worked_example, village):
    data = dashboard_data(village)
    assert [row["code"] for row in data["rows"]] == [village.code]
    assert data["totals"]["recipient_households"] == 2


def test_monthly_series_counts_recipients_at_month_end(worked_example, county, today):
    data = dashboard_data(county)
    last = data["series"]["rows"][-1]
    # This month's end: A, B, F are being paid.
    assert last["recipient_households"] == 3 and last["recipient_persons"] == 7
    assert sum(r["applications"] for r in data["series"]["rows"]) == 6
    assert sum(r["approved"] for r in data["series"]["rows"]) == 3
    assert sum(r["rejected"] for r in data["series"]["rows"]) == 1


def test_closed_recipient_counts_until_it_closed(county, village, county_officer, today):
    from datetime import timedelta

    make_case(village, county_officer, status="closed", size=2, submitted=today - timedelta(days=200),
              accepted=today - timedelta(days=190), decided=today - timedelta(days=180),
              closed=today - timedelta(days=1) - timedelta(days=today.day), amount="100")
    data = dashboard_data(county)
    rows = data["series"]["rows"]
    assert rows[-1]["recipient_households"] == 0  # closed last month
    assert rows[-3]["recipient_households"] == 1


def _make_villages(township, n):
    villages = []
    for i in range(n):
        villages.append(DivisionFactory(code=f"{township.code[:9]}{300 + i:03d}", name=f"村{i}", level="village",
                                        parent=township, population=100))
    return villages


@pytest.mark.parametrize("n", [3, 15])
def test_query_count_does_not_grow_with_villages(n, township, county_officer, django_assert_num_queries):
    for village in _make_villages(township, n):
        make_case(village, county_officer, status="active", size=2, submitted=None, amount="10")
    with django_assert_num_queries(8):
        data = dashboard_data(township)
    assert len(data["rows"]) == n
    assert data["totals"]["recipient_households"] == n


def test_dashboard_page_query_count_is_flat(township, county_officer, auditor, web):
    counts = []
    for n in (3, 15):
        for village in _make_villages(township, n):
            make_case(village, county_officer, status="active", size=2, amount="10")
        client = web(auditor)
        with CaptureQueriesContext(connections["default"]) as ctx:
            response = client.get(f"/reports/?division={township.code}")
        assert response.status_code == 200
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1]
