"""The dashboard's case figures are cached per division code under the version of its data
(reports/changes.py: triggers count every write to cases and to household sizes).

The cache only serves committed data, so these tests commit (transactional tests): a change made
any way - a save, a bulk update, raw SQL, a delete, a household's size - shows on the next view,
and a view after a change in one village recomputes that village only.
"""

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cases.models import Case, CaseStatus
from households.models import Household
from reports import changes
from reports.dashboard import dashboard_data
from tests.reports.factories import make_case

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

# A view served from the cache: scope, versions, holidays, population, payment rolls' digest,
# findings. Recomputing some codes adds the grouped pass over their cases and the versions re-read;
# a cold view also the payment figures (cached by the payments module).
WARM, CHANGED, COLD = 6, 8, 9


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()


def _cases_queries(ctx) -> list[str]:
    return [q["sql"] for q in ctx.captured_queries if 'FROM "cases_case"' in q["sql"]]


def _totals(division):
    t = dashboard_data(division)["totals"]
    return t["recipient_households"], t["recipient_persons"], t["pending"], t["benefit_total"]


def test_repeat_view_is_served_from_the_cache_with_the_same_figures(worked_example, county, township,
                                                                    django_assert_num_queries):
    with django_assert_num_queries(COLD):
        cold = dashboard_data(county)
    with django_assert_num_queries(WARM):
        warm = dashboard_data(county)
    assert warm["rows"] == cold["rows"] and warm["totals"] == cold["totals"]
    assert warm["series"] == cold["series"]
    # The township below is made of the same villages: no pass over the cases either.
    with CaptureQueriesContext(connection) as ctx:
        data = dashboard_data(township)
    assert _cases_queries(ctx) == []
    assert data["totals"]["recipient_households"] == 3 and data["totals"]["median_days"] == cold["totals"]["median_days"]


def test_a_change_to_a_case_shows_on_the_next_view(county, village, county_officer):
    a = make_case(village, county_officer, status="active", size=2, amount="100")
    b = make_case(village, county_officer, status="submitted", size=3)
    assert _totals(county) == (1, 2, 1, 100)
    assert _totals(county) == (1, 2, 1, 100)  # cached

    b.status, b.decided_at, b.monthly_amount = CaseStatus.ACTIVE, timezone.now(), 250
    b.save()
    assert _totals(county) == (2, 5, 0, 350)

    Case.objects.filter(pk=a.pk).update(status=CaseStatus.CLOSED, closed_at=timezone.now())  # bulk update
    assert _totals(county) == (1, 3, 0, 250)

    with connection.cursor() as cursor:  # raw SQL
        cursor.execute("UPDATE cases_case SET monthly_amount = 300 WHERE id = %s", [b.pk])
    assert _totals(county) == (1, 3, 0, 300)

    Household.objects.filter(pk=b.household_id).update(size=4)  # the persons come from the household
    assert _totals(county) == (1, 4, 0, 300)

    Case.objects.filter(pk=a.pk).delete()
    make_case(village, county_officer, status="submitted")
    assert _totals(county) == (1, 4, 1, 300)


def test_a_view_after_a_change_recomputes_only_that_village(county, village, other_village, county_officer,
                                                            django_assert_num_queries):
    here = make_case(village, county_officer, status="submitted")
    make_case(other_village, county_officer, status="submitted")
    make_case(other_village, county_officer, status="active", size=1, amount="50")
    dashboard_data(county)
    Case.objects.filter(pk=here.pk).update(status=CaseStatus.WITHDRAWN, closed_at=timezone.now())
    with CaptureQueriesContext(connection) as ctx:
        data = dashboard_data(county)
    [sql] = _cases_queries(ctx)
    assert village.code in sql and other_village.code not in sql
    assert len(ctx.captured_queries) == CHANGED
    assert (data["totals"]["pending"], data["totals"]["recipient_households"]) == (1, 1)


def test_a_transaction_never_caches_its_own_uncommitted_changes(county, village, county_officer):
    case = make_case(village, county_officer, status="submitted")
    assert _totals(county)[2] == 1
    with transaction.atomic():
        Case.objects.filter(pk=case.pk).update(status=CaseStatus.ACTIVE, decided_at=timezone.now(), monthly_amount=80)
        assert _totals(county) == (1, 3, 0, 80)  # sees its own change
        transaction.set_rollback(True)
    assert _totals(county) == (0, 0, 1, 0)
    with transaction.atomic():
        with transaction.atomic():
            Case.objects.filter(pk=case.pk).update(status=CaseStatus.WITHDRAWN)
            assert _totals(county)[2] == 0
            transaction.set_rollback(True)
        # The savepoint is gone; another change of the same size in the same transaction.
        Case.objects.filter(pk=case.pk).update(monthly_amount=5)
        assert _totals(county)[2] == 1
        Case.objects.filter(pk=case.pk).update(status=CaseStatus.REJECTED)
        assert _totals(county)[2] == 0
    assert _totals(county)[2] == 0


def test_figures_cached_yesterday_are_not_served_today(county, village, county_officer):
    today = timezone.localdate()
    make_case(village, county_officer, status="submitted", deadline=today)
    assert dashboard_data(county, today=today)["totals"]["overdue"] == 0
    assert dashboard_data(county, today=today + timedelta(days=1))["totals"]["overdue"] == 1


def test_compaction_keeps_the_versions_and_the_cache(county, village, other_village, county_officer,
                                                     django_assert_num_queries):
    from reports.models import DataChange

    case = make_case(village, county_officer, status="submitted")
    make_case(other_village, county_officer, status="submitted")
    for amount in (1, 2, 3):
        Case.objects.filter(pk=case.pk).update(monthly_amount=amount)
    dashboard_data(county)
    before = changes.code_versions(county.prefix, using="default")
    assert DataChange.objects.filter(division_code=village.code).count() == 4
    assert changes.compact() == (1, 0)
    assert DataChange.objects.filter(division_code=village.code).count() == 1
    assert changes.code_versions(county.prefix, using="default") == before
    with django_assert_num_queries(WARM):
        assert dashboard_data(county)["totals"]["pending"] == 2


def test_compaction_gives_a_row_to_codes_written_without_triggers(village, county_officer):
    from reports.models import DataChange

    make_case(village, county_officer, status="submitted")
    DataChange.objects.all().delete()
    assert changes.compact() == (0, 1)
    assert list(DataChange.objects.values_list("division_code", "changes")) == [(village.code, 1)]


def test_nightly_task_fills_the_cache_for_every_level(county, township, village, county_officer):
    from reports.tasks import refresh_dashboard_cache

    make_case(village, county_officer, status="active", size=2, amount="100")
    assert refresh_dashboard_cache() >= 1
    for division in (county, township, village):
        with CaptureQueriesContext(connection) as ctx:
            assert dashboard_data(division)["totals"]["recipient_households"] == 1
        assert _cases_queries(ctx) == []


def test_beat_schedule_refreshes_the_cache_after_the_notices_close():
    from reports.schedule import BEAT_SCHEDULE

    [entry] = [e for e in BEAT_SCHEDULE.values() if e["task"] == "reports.tasks.refresh_dashboard_cache"]
    assert entry["schedule"].hour == {0} and entry["schedule"].minute == {40}
