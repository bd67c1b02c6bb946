from decimal import Decimal

import pytest
from django.core.cache import cache
from django.db import connections
from django.test.utils import CaptureQueriesContext

from reports.dashboard import dashboard_data
from tests.factories import DivisionFactory
from tests.reports.factories import make_case

pytestmark = pytest.mark.django_db


def percentile_cont(values, fraction):
    values = sorted(values)
    position = fraction * (len(values) - 1)
    low = int(position)
    high = min(low + 1, len(values) - 1)
    return values[low] + (values[high] - values[low]) * (position - low)


def working_days(case):
    from django.utils import timezone

    from cases.working_days import working_days_between

    return working_days_between(timezone.localtime(case.accepted_at).date(), timezone.localtime(case.decided_at).date())


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
        # Working days (public holidays and swapped weekends counted) of A, B, C and F.
        days = [working_days(worked_example[k]) for k in "ABCF"]
        assert data["working_days"] is True
        assert t["median_days"] == pytest.approx(percentile_cont(days, 0.5))
        assert t["p90_days"] == pytest.approx(percentile_cont(days, 0.9))


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
        days = [working_days(worked_example[k]) for k in "ABC"]
        assert v["median_days"] == pytest.approx(percentile_cont(days, 0.5))
        assert v["p90_days"] == pytest.approx(percentile_cont(days, 0.9))
        assert o["median_days"] == working_days(worked_example["F"])


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
    # The data is not committed here: the case figures are computed, never cached (see
    # test_dashboard_cache.py for the cache): versions + grouped pass + 6 others.
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
        cache.clear()  # compare cold pages (payment figures are cached)
        with CaptureQueriesContext(connections["default"]) as ctx:
            response = client.get(f"/reports/?division={township.code}")
        assert response.status_code == 200
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1]


@pytest.mark.postgres
def test_working_days_in_sql_follow_the_holiday_table(village, county_officer):
    """Hand count around National Day 2025: 1-8 October off, Sunday 28 September and Saturday
    11 October worked."""
    from datetime import date

    from cases.models import Case
    from cases.working_days import seed_holidays
    from reports.expressions import WorkingDaysBetween

    seed_holidays()  # the migration seeds it; make sure whatever ran before left it there

    spans = {
        (date(2025, 9, 30), date(2025, 10, 10)): 2,   # 9 and 10 October
        (date(2025, 9, 26), date(2025, 10, 11)): 6,   # Sun 28 (worked), 29, 30 September; 9, 10, Sat 11 October
        (date(2025, 9, 26), date(2025, 9, 26)): 0,
        (date(2025, 11, 3), date(2025, 11, 14)): 9,   # two plain weeks after Monday the 3rd
    }
    made = {}
    for (start, end), expected in spans.items():
        case = make_case(village, county_officer, status="active", accepted=start, decided=end, amount="1")
        made[case.pk] = expected
    got = dict(Case.objects.annotate(d=WorkingDaysBetween("accepted_at", "decided_at")).values_list("id", "d"))
    assert got == made


def test_month_boundaries_are_local_midnight_and_exact(county, village, county_officer):
    """The one grouped pass buckets months by comparison with local month starts: an instant
    exactly at the start belongs to the new month, the microsecond before to the old one, and a
    case closed exactly at a month's start was still a recipient at the end of the month before."""
    from datetime import datetime, time, timedelta

    from django.utils import timezone

    from cases.models import Case

    today = timezone.localdate()
    start = datetime.combine(today.replace(day=1), time.min, tzinfo=timezone.get_current_timezone())
    on_start = make_case(village, county_officer, status="submitted", submitted=today)
    just_before = make_case(village, county_officer, status="submitted", submitted=today)
    closed = make_case(village, county_officer, status="closed", size=2, decided=today - timedelta(days=100),
                       amount="100")
    Case.objects.filter(pk=on_start.pk).update(submitted_at=start)
    Case.objects.filter(pk=just_before.pk).update(submitted_at=start - timedelta(microseconds=1))
    Case.objects.filter(pk=closed.pk).update(closed_at=start)
    rows = dashboard_data(county)["series"]["rows"]
    assert (rows[-1]["applications"], rows[-2]["applications"]) == (1, 1)
    assert (rows[-2]["recipient_households"], rows[-2]["recipient_persons"]) == (1, 2)
    assert rows[-1]["recipient_households"] == 0
